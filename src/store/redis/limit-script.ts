/**
 * The one Lua script of the Redis limit store: admits every item of a request atomically (all
 * consume or none) in one round trip, or applies a batch of after-response accounting. It
 * mirrors src/limits/*.ts line for line (same formulas, same float operations, so memory and
 * Redis answer identically; test/store/limit-differential.test.ts checks it).
 *
 * Call: KEYS = one key per item (all sharing one hash tag); ARGV = mode ("admit" | "settle"),
 * now (ms, the caller's clock), n, then 8 slots per item: kind, p1, p2, p3, p4, cost, flag, lease.
 * Admit reply: { allAllowed (1|0), deniedIndex (0-based, -1 if none), then per item
 * allowed, remaining, resetMs, retryAfterMs }. Settle reply: n.
 */

export const LIMIT_SCRIPT = String.raw`
local function fmt(x) return string.format("%.17g", x) end
local function split(s, sep)
  local out = {}
  if s == nil or s == "" then return out end
  for part in string.gmatch(s, "[^" .. sep .. "]+") do out[#out + 1] = part end
  return out
end

-- fixed window and calendar share this core (fixed-window.ts admitWindow)
local function window_admit(limit, start, finish, count0, start0, cost, now)
  local count = 0
  if start0 ~= nil and start0 >= start then
    if start0 > start then finish = finish + (start0 - start); start = start0 end
    count = count0
  end
  local reset = math.max(0, finish - now)
  if count + cost <= limit then return true, limit - count - cost, reset, 0, start, count + cost end
  return false, math.max(0, limit - count), reset, reset, start, count
end

local function fw_start(w, now) return now - (now % w) end

-- sliding window (sliding-window.ts); view = { start, counts[1..B+1] newest first }
local function sw_parse(st)
  if st == nil then return nil end
  local p = split(st, ",")
  local counts = {}
  for i = 2, #p do counts[i - 1] = tonumber(p[i]) end
  return { start = tonumber(p[1]), counts = counts }
end
local function sw_zero(B, start)
  local c = {}
  for i = 1, B + 1 do c[i] = 0 end
  return { start = start, counts = c }
end
local function sw_shift(B, b, st, start)
  local size = B + 1
  if st == nil or #st.counts ~= size then return sw_zero(B, start) end
  if st.start >= start then return st end
  local by = (start - st.start) / b
  if by >= size then return sw_zero(B, start) end
  local c = {}
  for i = 1, size do
    if i - 1 < by then c[i] = 0 else c[i] = st.counts[i - by] end
  end
  return { start = start, counts = c }
end
local function sw_measure(B, b, v, now)
  local newest = 0
  for i = 1, B do newest = newest + v.counts[i] end
  local oldest = v.counts[B + 1]
  local into = math.min(b, math.max(0, now - v.start))
  return newest + (oldest * (b - into)) / b, newest + oldest
end
local function sw_fits(limit, cap, w, r, cost) return w + cost <= limit and r + cost <= cap end
local function sw_reset(B, b, v, now)
  for i = 1, #v.counts do
    if v.counts[i] > 0 then return math.max(0, v.start - (i - 1) * b + (B + 1) * b - now) end
  end
  return 0
end
local function sw_next(limit, b, B, cap, v, cost, now)
  for j = 0, B + 1 do
    local start = v.start + j * b
    local ahead = sw_shift(B, b, v, start)
    local at = math.max(now, start)
    local w, r = sw_measure(B, b, ahead, at)
    if r + cost <= cap then
      if sw_fits(limit, cap, w, r, cost) then return at end
      local oldest = ahead.counts[B + 1]
      local newest = r - oldest
      if newest + cost <= limit then
        local t = start + math.ceil(b - ((limit - cost - newest) * b) / oldest)
        t = math.max(t, at)
        while t < start + b do
          local w2, r2 = sw_measure(B, b, ahead, t)
          if sw_fits(limit, cap, w2, r2, cost) then break end
          t = t + 1
        end
        if t < start + b then return t end
      end
    end
  end
  return now + sw_reset(B, b, v, now)
end
local function sw_encode(v)
  local parts = { fmt(v.start) }
  for i = 1, #v.counts do parts[#parts + 1] = fmt(v.counts[i]) end
  return table.concat(parts, ",")
end

-- entry lists (sliding log, concurrency, holds): arrays ordered by time ascending
local function list_parse(st, width)
  local out = {}
  for _, e in ipairs(split(st, ",")) do out[#out + 1] = split(e, ":") end
  return out
end
local function list_encode(list)
  local parts = {}
  for i = 1, #list do parts[i] = table.concat(list[i], ":") end
  return table.concat(parts, ",")
end
-- drops entries whose time (column col) is <= cutoff, from the front
local function list_live(list, col, cutoff)
  local out = {}
  for i = 1, #list do
    if tonumber(list[i][col]) > cutoff then out[#out + 1] = list[i] end
  end
  return out
end
local function list_sum(list, col)
  local s = 0
  for i = 1, #list do s = s + tonumber(list[i][col]) end
  return s
end
-- inserts entry keeping column col ascending (later equal times go last)
local function list_insert(list, col, entry)
  local at = #list + 1
  while at > 1 and tonumber(list[at - 1][col]) > tonumber(entry[col]) do at = at - 1 end
  table.insert(list, at, entry)
end
local function list_last(list, col, now)
  if #list == 0 then return 0 end
  return math.max(0, tonumber(list[#list][col]) - now)
end
-- until enough of the oldest entries lapse for amount to fit (sliding-log.ts / concurrency.ts)
local function list_retry(list, tcol, wcol, used, amount, limit, shift, now, fallback)
  if amount > limit then return fallback end
  local freed = 0
  for i = 1, #list do
    freed = freed + tonumber(list[i][wcol])
    if used - freed + amount <= limit then return math.max(1, tonumber(list[i][tcol]) + shift - now) end
  end
  return fallback
end

-- state string -> verdict; returns allowed, remaining, reset, retry, new state, expiresAt
local function admit_one(kind, p1, p2, p3, p4, cost, st, now, lease)
  if kind == "fw" or kind == "cal" then
    local start, finish, start0, count0
    if kind == "fw" then start = fw_start(p2, now); finish = start + p2 else start = p2; finish = p3 end
    local s = split(st, ",")
    if #s >= 2 then start0 = tonumber(s[1]); count0 = tonumber(s[#s]) end
    if kind == "cal" and start0 ~= nil and start0 > start then finish = tonumber(s[2]) - (start0 - start) end
    local ok, rem, reset, retry, ns, nc = window_admit(p1, start, finish, count0, start0, cost, now)
    if kind == "fw" then return ok, rem, reset, retry, fmt(ns) .. "," .. fmt(nc), ns + p2 end
    local fin = start0 ~= nil and start0 > start and tonumber(s[2]) or p3
    reset = math.max(0, fin - now)
    if ok then retry = 0 else retry = reset end
    return ok, rem, reset, retry, fmt(ns) .. "," .. fmt(fin) .. "," .. fmt(nc), fin
  elseif kind == "sw" then
    local limit, b, B, cap = p1, p2, p3, p4
    local v = sw_shift(B, b, sw_parse(st), now - (now % b))
    local w, r = sw_measure(B, b, v, now)
    local expires = v.start + (B + 1) * b
    if sw_fits(limit, cap, w, r, cost) then
      local c = {}
      for i = 1, #v.counts do c[i] = v.counts[i] end
      c[1] = c[1] + cost
      local nv = { start = v.start, counts = c }
      local rem = math.floor(math.max(0, math.min(limit - w - cost, cap - r - cost)))
      return true, rem, sw_reset(B, b, nv, now), 0, sw_encode(nv), expires
    end
    local rem = math.floor(math.max(0, math.min(limit - w, cap - r)))
    local reset = sw_reset(B, b, v, now)
    local retry = reset
    if cost <= limit then retry = math.max(1, sw_next(limit, b, B, cap, v, cost, now) - now) end
    return false, rem, reset, retry, sw_encode(v), expires
  elseif kind == "log" then
    local limit, w = p1, p2
    local list = list_live(list_parse(st), 1, now - w)
    local used = list_sum(list, 2)
    if used + cost <= limit then
      if cost > 0 then list_insert(list, 1, { fmt(now), fmt(cost) }) end
      local reset = list_last(list, 1, now - w)
      return true, limit - used - cost, reset, 0, list_encode(list), now + reset
    end
    local reset = list_last(list, 1, now - w)
    return false, math.max(0, limit - used), reset, list_retry(list, 1, 2, used, cost, limit, w, now, reset), list_encode(list), now + reset
  elseif kind == "tb" then
    local cap, rate = p1, p2
    local s = split(st, ",")
    local tokens, at = cap, now
    if #s == 2 then
      tokens = tonumber(s[1]); at = tonumber(s[2])
      if now > at then tokens = math.min(cap, tokens + (now - at) * rate); at = now end
    end
    if tokens >= cost then
      local left = tokens - cost
      local full = math.max(0, math.ceil((cap - left) / rate))
      return true, math.floor(left), full, 0, fmt(left) .. "," .. fmt(at), at + full
    end
    local full = math.max(0, math.ceil((cap - tokens) / rate))
    local retry = full
    if cost <= cap then retry = math.max(1, math.ceil((cost - tokens) / rate)) end
    return false, math.max(0, math.floor(tokens)), full, retry, fmt(tokens) .. "," .. fmt(at), at + full
  elseif kind == "gcra" then
    local emission, tolerance, burst = p1, p2, p3
    local tat = now
    if st ~= nil and st ~= "" and tonumber(st) >= now then tat = tonumber(st) end
    local nxt = tat + emission * cost
    if nxt - now <= tolerance then
      return true, math.max(0, math.floor((tolerance - (nxt - now)) / emission)), math.ceil(nxt - now), 0, fmt(nxt), math.ceil(nxt)
    end
    local reset = math.ceil(tat - now)
    local retry = reset
    if cost <= burst then retry = math.max(1, math.ceil(nxt - now - tolerance)) end
    return false, math.max(0, math.floor((tolerance - (tat - now)) / emission)), reset, retry, fmt(tat), math.ceil(tat)
  elseif kind == "cc" or kind == "hold" then
    -- concurrency entries: id:expires:weight; holds entries: expires:amount
    local limit, ttl = p1, p2
    local tcol, wcol = 1, 2
    if kind == "cc" then tcol, wcol = 2, 3 end
    local list = list_live(list_parse(st), tcol, now)
    local used = list_sum(list, wcol)
    if used + cost <= limit then
      if kind == "cc" then list_insert(list, 2, { lease, fmt(now + ttl), fmt(cost) })
      elseif cost > 0 then list_insert(list, 1, { fmt(now + ttl), fmt(cost) }) end
      local reset = list_last(list, tcol, now)
      return true, limit - used - cost, reset, 0, list_encode(list), now + reset
    end
    local reset = list_last(list, tcol, now)
    return false, math.max(0, limit - used), reset, list_retry(list, tcol, wcol, used, cost, limit, 0, now, reset), list_encode(list), now + reset
  end
  return redis.error_reply("unknown limit kind " .. tostring(kind))
end

-- states are stored as "<kind>|<state>": a key reused by a limit of another kind (a config
-- change) reads as empty instead of being misparsed
local function load(key, kind)
  local raw = redis.call("GET", key)
  if raw == false then return nil end
  local bar = string.find(raw, "|", 1, true)
  if bar == nil or string.sub(raw, 1, bar - 1) ~= kind then return nil end
  return string.sub(raw, bar + 1)
end
local function store(key, kind, state, expires, now)
  if expires <= now or state == "" then redis.call("DEL", key)
  else redis.call("SET", key, kind .. "|" .. state, "PX", math.max(1, math.ceil(expires - now))) end
end

-- after-response accounting: add (charge), release (concurrency), lower (holds), reset
local function settle_one(key, kind, p1, p2, p3, p4, amount, op, lease, now)
  if op == "reset" then redis.call("DEL", key); return end
  local st = load(key, kind)
  if op == "add" then
    if kind == "cc" then return end
    if kind == "hold" then
      local list = list_live(list_parse(st), 1, now)
      if amount > 0 then list_insert(list, 1, { fmt(now + p2), fmt(amount) }) end
      store(key, kind, list_encode(list), now + list_last(list, 1, now), now)
      return
    end
    -- charging = admitting against an unbounded limit, keeping the algorithm's own bookkeeping
    local huge = 1e300
    if kind == "fw" or kind == "cal" or kind == "log" then p1 = huge
    elseif kind == "sw" then p1 = huge; p4 = huge
    elseif kind == "gcra" then p2 = huge end
    if kind == "tb" then
      local s = split(st, ",")
      local tokens, at = p1, now
      if #s == 2 then
        tokens = tonumber(s[1]); at = tonumber(s[2])
        if now > at then tokens = math.min(p1, tokens + (now - at) * p2); at = now end
      end
      tokens = tokens - amount
      store(key, kind, fmt(tokens) .. "," .. fmt(at), at + math.max(0, math.ceil((p1 - tokens) / p2)), now)
      return
    end
    local _, _, _, _, ns, expires = admit_one(kind, p1, p2, p3, p4, amount, st, now, "")
    store(key, kind, ns, expires, now)
  elseif op == "release" and kind == "cc" then
    local list = list_live(list_parse(st), 2, now)
    for i = 1, #list do
      if list[i][1] == lease then table.remove(list, i); break end
    end
    store(key, kind, list_encode(list), now + list_last(list, 2, now), now)
  elseif op == "lower" and kind == "hold" then
    local list = list_live(list_parse(st), 1, now)
    local left = amount
    while left > 0 and #list > 0 do
      local last = list[#list]
      local have = tonumber(last[2])
      local take = math.min(left, have)
      left = left - take
      if take == have then table.remove(list) else last[2] = fmt(have - take) end
    end
    store(key, kind, list_encode(list), now + list_last(list, 1, now), now)
  end
end

local mode, now, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if mode == "settle" then
  for i = 1, n do
    local b = 3 + (i - 1) * 8
    settle_one(KEYS[i], ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]),
      tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), ARGV[b + 7], ARGV[b + 8], now)
  end
  return n
end

local reply = { 1, -1 }
local pending = {}
local pending_kind = {}
local writes = {}
for i = 1, n do
  local b = 3 + (i - 1) * 8
  local key, kind, flag = KEYS[i], ARGV[b + 1], ARGV[b + 7]
  local st = pending[key]
  if st == nil then st = load(key, kind) elseif pending_kind[key] ~= kind then st = nil end
  local ok, rem, reset, retry, ns, expires = admit_one(kind, tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]),
    tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), st, now, ARGV[b + 8])
  if ok then
    if flag ~= "later" then
      pending[key] = ns; pending_kind[key] = kind
      writes[#writes + 1] = { key, kind, ns, expires }
    end
  elseif reply[1] == 1 then
    reply[1] = 0; reply[2] = i - 1
  end
  reply[#reply + 1] = ok and 1 or 0
  reply[#reply + 1] = rem
  reply[#reply + 1] = reset
  reply[#reply + 1] = retry
end
if reply[1] == 1 then
  for i = 1, #writes do store(writes[i][1], writes[i][2], writes[i][3], writes[i][4], now) end
end
return reply
`;
