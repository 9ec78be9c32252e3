-- POST a new customer: email, reference and BVN unique by run, thread and counter.
local counter = 0

function request()
  counter = counter + 1
  local tag = string.format("%d_%d_%d", bench.run, thread_id or 0, counter)
  local bvn = string.format("9%02d%d%07d", bench.run % 100, thread_id or 0, counter % 10000000)
  local body = string.format(
    '{"customer_type":"individual","first_name":"Ṣadé","last_name":"Adebayo-Williams",' ..
    '"email":"load.%s@bench.example","phone_number":"+2348031234567","country":"NG",' ..
    '"bvn":"%s","date_of_birth":"1990-05-17","reference":"load_%s",' ..
    '"metadata":{"segment":"retail","channel":"app"}}', tag, bvn, tag)
  return wrk.format("POST", bench.path, nil, body)
end
