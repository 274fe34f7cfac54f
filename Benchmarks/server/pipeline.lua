-- wrk script: POSTs one Hrana pipeline body (from the BODY environment variable) on every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY") or '{"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]}'

local errors = 0
response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"type":"error"', 1, true) then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("unexpected response " .. status .. ": " .. string.sub(body, 1, 200) .. "\n") end
  end
end
