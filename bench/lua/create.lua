-- wrk.format with its own header table would drop the -H Authorization header: add to wrk's.
wrk.headers["Content-Type"] = "application/json"
local counter = 0
local next_thread = 0

setup = function(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"first_name":"Load","last_name":"Test","email":"load%d_%d_%d@bench.example",' ..
    '"phone_number":"+2348031234567"}', thread_id or 0, counter, math.random(1, 1000000000))
  return wrk.format("POST", "/v1/customers", nil, body)
end
