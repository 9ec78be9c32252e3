request = function()
  return wrk.format("GET", "/v1/customers?q=seed12&take=20")
end
