-- Evaluates many display filters in one tshark pass: one tap listener per filter
-- (each line of the file named by OVERLAYSCOPE_FILTERS), printing "index frame"
-- for every frame a filter matches and "index ERR message" for a filter tshark refuses.
local path = os.getenv("OVERLAYSCOPE_FILTERS")
local i = 0
for line in io.lines(path) do
  local idx = i
  local ok, l = pcall(Listener.new, nil, line)
  if ok then
    function l.packet(pinfo) print(idx .. " " .. pinfo.number) end
  else
    print(idx .. " ERR " .. tostring(l):gsub("\n", " "))
  end
  i = i + 1
end
