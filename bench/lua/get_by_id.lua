local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/customers/" .. ids[(n % #ids) + 1])
end
