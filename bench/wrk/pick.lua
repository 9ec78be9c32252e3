-- GET bench.path with a random value of the sample (an id, an email, a cursor, a search text).
local values

function init(args)
  values = load_values(bench.sample)
  math.randomseed(bench.run * 1000 + (thread_id or 0))
end

function request()
  local value = values[math.random(1, #values)]
  return wrk.format("GET", string.format(bench.path, escape(value)))
end
