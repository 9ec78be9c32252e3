-- GET one fixed path (the first page of a filtered list).
function request()
  return wrk.format("GET", bench.path)
end
