/**
 * The algorithms of the limit script (limit-script.ts), in Lua: one function per kind that turns
 * a stored state into a verdict and the state to store, mirroring src/limits/*.ts line for line
 * (same formulas, same float operations, so memory and Redis answer identically;
 * test/store/limit-differential.test.ts checks it). See limit-script.ts for the state encoding
 * and why the code is shaped as it is.
 */

export const LUA_ALGORITHMS = String.raw`
-- whether raw (a stored value, false when none) is a counter state of this tag with n numbers
-- after its expiry; they are read from offset 10
local function is_state(raw, tag, n)
  return raw and #raw == 9 + 8 * n and string.byte(raw, 1) == tag
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

-- sliding window (sliding-window.ts); a view is (start, counts[1..B+1] newest first)
local function sw_shift(B, b, vstart, counts, start)
  local size = B + 1
  if counts == nil then
    local c = {}
    for i = 1, size do c[i] = 0 end
    return start, c
  end
  if vstart >= start then return vstart, counts end
  local by = (start - vstart) / b
  local c = {}
  if by >= size then
    for i = 1, size do c[i] = 0 end
    return start, c
  end
  for i = 1, size do
    if i - 1 < by then c[i] = 0 else c[i] = counts[i - by] end
  end
  return start, c
end
local function sw_measure(B, b, vstart, counts, now)
  local newest = 0
  for i = 1, B do newest = newest + counts[i] end
  local oldest = counts[B + 1]
  local into = math.min(b, math.max(0, now - vstart))
  return newest + (oldest * (b - into)) / b, newest + oldest
end
local function sw_reset(B, b, vstart, counts, now)
  for i = 1, #counts do
    if counts[i] > 0 then return math.max(0, vstart - (i - 1) * b + (B + 1) * b - now) end
  end
  return 0
end
-- the first instant a denied cost fits (sliding-window.ts nextFit); only run on a denial
local function sw_next(limit, b, B, cap, vstart, counts, cost, now)
  local function fits(w, r) return w + cost <= limit and r + cost <= cap end
  for j = 0, B + 1 do
    local start = vstart + j * b
    local astart, ahead = sw_shift(B, b, vstart, counts, start)
    local at = math.max(now, start)
    local w, r = sw_measure(B, b, astart, ahead, at)
    if r + cost <= cap then
      if fits(w, r) then return at end
      local oldest = ahead[B + 1]
      local newest = r - oldest
      if newest + cost <= limit then
        local t = start + math.ceil(b - ((limit - cost - newest) * b) / oldest)
        t = math.max(t, at)
        while t < start + b do
          local w2, r2 = sw_measure(B, b, astart, ahead, t)
          if fits(w2, r2) then break end
          t = t + 1
        end
        if t < start + b then return t end
      end
    end
  end
  return now + sw_reset(B, b, vstart, counts, now)
end
local function sw_encode(expires, vstart, counts)
  return struct.pack("<Bdd" .. string.rep("d", #counts), 3, expires, vstart, unpack(counts))
end

-- entry lists (sliding log, concurrency, holds): "<kind>|" text of entries ordered by time
-- ascending, split on "," then ":"; built on first use only
local lists_cache
local function lists()
  if lists_cache ~= nil then return lists_cache end
  local L = {}
  local function fmt(x) return string.format("%.17g", x) end
  L.fmt = fmt
  local function split(s, sep)
    local out = {}
    if s == nil or s == "" then return out end
    for part in string.gmatch(s, "[^" .. sep .. "]+") do out[#out + 1] = part end
    return out
  end
  L.split = split
  -- the entries of raw when it holds this kind's list, else none
  function L.parse(raw, kind)
    local out = {}
    if raw == false or raw == nil then return out end
    local bar = string.find(raw, "|", 1, true)
    if bar == nil or string.sub(raw, 1, bar - 1) ~= kind then return out end
    for _, e in ipairs(split(string.sub(raw, bar + 1), ",")) do out[#out + 1] = split(e, ":") end
    return out
  end
  function L.encode(kind, list)
    if #list == 0 then return "" end
    local parts = {}
    for i = 1, #list do parts[i] = table.concat(list[i], ":") end
    return kind .. "|" .. table.concat(parts, ",")
  end
  -- drops entries whose time (column col) is <= cutoff
  function L.live(list, col, cutoff)
    local out = {}
    for i = 1, #list do
      if tonumber(list[i][col]) > cutoff then out[#out + 1] = list[i] end
    end
    return out
  end
  function L.sum(list, col)
    local s = 0
    for i = 1, #list do s = s + tonumber(list[i][col]) end
    return s
  end
  -- inserts entry keeping column col ascending (later equal times go last)
  function L.insert(list, col, entry)
    local at = #list + 1
    while at > 1 and tonumber(list[at - 1][col]) > tonumber(entry[col]) do at = at - 1 end
    table.insert(list, at, entry)
  end
  function L.last(list, col, now)
    if #list == 0 then return 0 end
    return math.max(0, tonumber(list[#list][col]) - now)
  end
  -- until enough of the oldest entries lapse for amount to fit (sliding-log.ts / concurrency.ts)
  function L.retry(list, tcol, wcol, used, amount, limit, shift, now, fallback)
    if amount > limit then return fallback end
    local freed = 0
    for i = 1, #list do
      freed = freed + tonumber(list[i][wcol])
      if used - freed + amount <= limit then return math.max(1, tonumber(list[i][tcol]) + shift - now) end
    end
    return fallback
  end
  lists_cache = L
  return L
end

local function tb_state(raw, cap, rate, now)
  local tokens, at = cap, now
  if is_state(raw, 4, 2) then
    tokens, at = struct.unpack("<dd", raw, 10)
    if now > at then tokens = math.min(cap, tokens + (now - at) * rate); at = now end
  end
  return tokens, at
end

-- stored value (or false) -> verdict; returns allowed, remaining, reset, retry, new state, expiresAt
local function admit_one(kind, p1, p2, p3, p4, cost, raw, now, lease)
  if kind == "fw" or kind == "cal" then
    local start, finish, start0, count0, fin0
    if kind == "fw" then
      start = now - (now % p2); finish = start + p2
      if is_state(raw, 1, 2) then start0, count0 = struct.unpack("<dd", raw, 10) end
    else
      start = p2; finish = p3
      if is_state(raw, 2, 3) then start0, fin0, count0 = struct.unpack("<ddd", raw, 10) end
      if start0 ~= nil and start0 > start then finish = fin0 - (start0 - start) end
    end
    local ok, rem, reset, retry, ns, nc = window_admit(p1, start, finish, count0, start0, cost, now)
    if kind == "fw" then return ok, rem, reset, retry, struct.pack("<Bddd", 1, ns + p2, ns, nc), ns + p2 end
    local fin = start0 ~= nil and start0 > start and fin0 or p3
    reset = math.max(0, fin - now)
    if ok then retry = 0 else retry = reset end
    return ok, rem, reset, retry, struct.pack("<Bdddd", 2, fin, ns, fin, nc), fin
  elseif kind == "sw" then
    local limit, b, B, cap = p1, p2, p3, p4
    local counts, vstart
    if is_state(raw, 3, B + 2) then
      counts = { struct.unpack("<d" .. string.rep("d", B + 1), raw, 10) }
      vstart = table.remove(counts, 1)
      counts[B + 2] = nil -- struct.unpack's trailing next position
    end
    vstart, counts = sw_shift(B, b, vstart, counts, now - (now % b))
    local w, r = sw_measure(B, b, vstart, counts, now)
    local expires = vstart + (B + 1) * b
    if w + cost <= limit and r + cost <= cap then
      -- counts is this call's own table (freshly unpacked or shifted): safe to change in place
      counts[1] = counts[1] + cost
      local rem = math.floor(math.max(0, math.min(limit - w - cost, cap - r - cost)))
      return true, rem, sw_reset(B, b, vstart, counts, now), 0, sw_encode(expires, vstart, counts), expires
    end
    local rem = math.floor(math.max(0, math.min(limit - w, cap - r)))
    local reset = sw_reset(B, b, vstart, counts, now)
    local retry = reset
    if cost <= limit then retry = math.max(1, sw_next(limit, b, B, cap, vstart, counts, cost, now) - now) end
    return false, rem, reset, retry, sw_encode(expires, vstart, counts), expires
  elseif kind == "tb" then
    local cap, rate = p1, p2
    local tokens, at = tb_state(raw, cap, rate, now)
    if tokens >= cost then
      local left = tokens - cost
      local full = math.max(0, math.ceil((cap - left) / rate))
      return true, math.floor(left), full, 0, struct.pack("<Bddd", 4, at + full, left, at), at + full
    end
    local full = math.max(0, math.ceil((cap - tokens) / rate))
    local retry = full
    if cost <= cap then retry = math.max(1, math.ceil((cost - tokens) / rate)) end
    return false, math.max(0, math.floor(tokens)), full, retry, struct.pack("<Bddd", 4, at + full, tokens, at), at + full
  elseif kind == "gcra" then
    local emission, tolerance, burst = p1, p2, p3
    local tat = now
    if is_state(raw, 5, 1) then
      local stored = struct.unpack("<d", raw, 10)
      if stored >= now then tat = stored end
    end
    local nxt = tat + emission * cost
    if nxt - now <= tolerance then
      return true, math.max(0, math.floor((tolerance - (nxt - now)) / emission)), math.ceil(nxt - now), 0, struct.pack("<Bdd", 5, math.ceil(nxt), nxt), math.ceil(nxt)
    end
    local reset = math.ceil(tat - now)
    local retry = reset
    if cost <= burst then retry = math.max(1, math.ceil(nxt - now - tolerance)) end
    return false, math.max(0, math.floor((tolerance - (tat - now)) / emission)), reset, retry, struct.pack("<Bdd", 5, math.ceil(tat), tat), math.ceil(tat)
  elseif kind == "log" then
    local L = lists()
    local limit, w = p1, p2
    local list = L.live(L.parse(raw, kind), 1, now - w)
    local used = L.sum(list, 2)
    if used + cost <= limit then
      if cost > 0 then L.insert(list, 1, { L.fmt(now), L.fmt(cost) }) end
      local reset = L.last(list, 1, now - w)
      return true, limit - used - cost, reset, 0, L.encode(kind, list), now + reset
    end
    local reset = L.last(list, 1, now - w)
    return false, math.max(0, limit - used), reset, L.retry(list, 1, 2, used, cost, limit, w, now, reset), L.encode(kind, list), now + reset
  elseif kind == "cc" or kind == "hold" then
    -- concurrency entries: id:expires:weight; holds entries: expires:amount
    local L = lists()
    local limit, ttl = p1, p2
    local tcol, wcol = 1, 2
    if kind == "cc" then tcol, wcol = 2, 3 end
    local list = L.live(L.parse(raw, kind), tcol, now)
    local used = L.sum(list, wcol)
    if used + cost <= limit then
      if kind == "cc" then L.insert(list, 2, { lease, L.fmt(now + ttl), L.fmt(cost) })
      elseif cost > 0 then L.insert(list, 1, { L.fmt(now + ttl), L.fmt(cost) }) end
      local reset = L.last(list, tcol, now)
      return true, limit - used - cost, reset, 0, L.encode(kind, list), now + reset
    end
    local reset = L.last(list, tcol, now)
    return false, math.max(0, limit - used), reset, L.retry(list, tcol, wcol, used, cost, limit, 0, now, reset), L.encode(kind, list), now + reset
  end
  return redis.error_reply("unknown limit kind " .. tostring(kind))
end

`;
