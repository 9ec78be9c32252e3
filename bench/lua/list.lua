request = function()
  return wrk.format("GET", "/v1/customers?take=20")
end
