-- POST a transaction to a random one of the sampled accounts: alternately a credit and a debit
-- of 100 (the accounts are funded first, so no debit is refused), with a unique reference.
local values
local counter = 0

function init(args)
  values = load_values(bench.sample)
  math.randomseed(bench.run * 1000 + (thread_id or 0))
end

function request()
  counter = counter + 1
  local account = values[math.random(1, #values)]
  local direction = (counter % 2 == 0) and "debit" or "credit"
  local body = string.format(
    '{"direction":"%s","amount":100,"currency":"NGN","reference":"b%d_%d_%d",' ..
    '"narration":"bench"}', direction, bench.run, thread_id or 0, counter)
  return wrk.format("POST", string.format(bench.path, account), nil, body)
end
