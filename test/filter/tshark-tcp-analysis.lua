-- The TCP sequence analysis tshark gives each frame with a TCP header, one line a frame:
-- "frame|tcp.seq,...|tcp.ack,...|tcp.nxtseq,...|analysis fields present (name, or namexN for N occurrences)"
-- (test/filter/tcp-analysis.test.ts compares ours with it).
local names = {"retransmission","fast_retransmission","spurious_retransmission","out_of_order","lost_segment","ack_lost_segment","window_update","window_full","keep_alive","keep_alive_ack","duplicate_ack","zero_window","zero_window_probe","zero_window_probe_ack","reused_ports","flags"}
local fs = {}
for i, n in ipairs(names) do fs[i] = Field.new("tcp.analysis." .. n) end
local fseq = Field.new("tcp.seq"); local fack = Field.new("tcp.ack"); local fnxt = Field.new("tcp.nxtseq")
local tap = Listener.new("frame", "tcp")
local function join(t) local o = {} for _, v in ipairs(t) do o[#o+1] = tostring(v.value) end return table.concat(o, ",") end
function tap.packet(pinfo)
  local fl = {}
  for i, f in ipairs(fs) do local t = { f() } if #t > 0 then fl[#fl+1] = names[i] .. (#t > 1 and ("x" .. #t) or "") end end
  print(pinfo.number .. "|" .. join({ fseq() }) .. "|" .. join({ fack() }) .. "|" .. join({ fnxt() }) .. "|" .. table.concat(fl, " "))
end
