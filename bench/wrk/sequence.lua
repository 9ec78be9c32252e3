-- POST bench.path for each value once, the threads interleaved (archive: each id only once,
-- so that every request does the work; a value met twice would answer 409).
local values
local position

function init(args)
  values = load_values(bench.sample)
  position = (thread_id or 0) + 1
end

function request()
  local value = values[((position - 1) % #values) + 1]
  position = position + bench.threads
  return wrk.format(bench.method or "POST", string.format(bench.path, value))
end
