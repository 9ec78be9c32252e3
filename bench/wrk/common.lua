-- Shared by every script. The harness prepends a `bench` table:
--   bench = {sample = "/path/values.txt", path = "/v1/customers/%s", run = 3, threads = 2}
-- wrk.format with its own header table would drop the -H Authorization header: add to wrk's.
wrk.headers["Content-Type"] = "application/json"

local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

function load_values(file)
  local values = {}
  if file then
    for line in io.lines(file) do
      values[#values + 1] = line
    end
  end
  return values
end

function escape(value)
  return (string.gsub(value, "([^%w%-%._~@])", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

