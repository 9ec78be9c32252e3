-- PATCH a random customer of the sample (never one of those the archive runs take).
local values
local counter = 0

function init(args)
  values = load_values(bench.sample)
  math.randomseed(bench.run * 1000 + (thread_id or 0))
end

function request()
  counter = counter + 1
  local value = values[math.random(1, #values)]
  local body = string.format('{"middle_name":"Bench%d"}', counter)
  return wrk.format("PATCH", string.format(bench.path, value), nil, body)
end
