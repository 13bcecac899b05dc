/**
 * The one Lua script of the Redis limit store: admits every item of a request atomically (all
 * consume or none) in one round trip, or applies a batch of after-response accounting. It
 * mirrors src/limits/*.ts line for line (same formulas, same float operations, so memory and
 * Redis answer identically; test/store/limit-differential.test.ts checks it).
 *
 * Admit: KEYS = the distinct keys of a batch of admissions (all sharing one hash tag); ARGV =
 * "admit", the specs and the admissions (binary, laid out in admission-batch.ts), then the
 * leases of concurrency items. `now` is per admission, in ms, from the caller's clock.
 * Reply: per admission { allAllowed (1|0), deniedIndex (0-based, -1 if none), then per item
 * allowed, remaining, resetMs, retryAfterMs }, flat.
 * Settle: KEYS = one key per op; ARGV = "settle", now, n, then 8 slots per op (kind, p1, p2, p3,
 * p4, amount, op, lease). Reply: n.
 *
 * Cost per call matters (every admission runs it, and on a small machine Redis shares the CPU
 * with the gateway), hence:
 * - Counter states (fixed window, calendar, sliding window, token bucket, GCRA) are stored as
 *   one tag byte (1 fw, 2 cal, 3 sw, 4 tb, 5 gcra), the key's expiry, then the algorithm's
 *   numbers, all little-endian doubles (struct.pack): exact like the "%.17g" text they
 *   replace, without string.format or pattern splitting. A tag byte can never begin a text
 *   state, so a state of another kind or of an older script reads as empty, never misparsed.
 * - Entry lists (sliding log, concurrency, holds) stay "<kind>|<entries>" text: they are for
 *   small limits, and their helpers are only built when such an item is seen.
 * - Admissions that reach the store in the same event-loop turn share one call: its fixed
 *   cost (command, script lookup, MGET, reply) is paid once, and a key they share (a global or
 *   a prefix limit) is read and written once for all of them.
 * - All keys are read with one MGET; only keys an admitted item consumed are written, with
 *   KEEPTTL when the expiry did not move (a window's end), else PX (a Lua number handed to
 *   redis.call costs a sprintf).
 * - Redis runs the script body on every call, creating each local function then: chunk-level
 *   locals captured as upvalues make that costly, so library functions are not cached in
 *   locals and the rarely needed helpers are built on first use.
 */

import { KIND_CODES } from "./limit-args.ts";
import { LUA_ALGORITHMS } from "./limit-script-algorithms.ts";

export const LIMIT_SCRIPT = LUA_ALGORITHMS + String.raw`
-- writes state, read as raw: an empty state (an emptied list) or one already expired is
-- deleted; a counter state whose tag and expiry are unchanged keeps the key's TTL (raw was
-- written with it by this script, and the old and new expiry are the same instant)
local function store(key, state, expires, now, raw)
  if expires <= now or state == "" then redis.call("DEL", key)
  elseif raw and string.byte(state, 1) <= 5 and #raw > 9 and string.sub(raw, 1, 9) == string.sub(state, 1, 9) then
    redis.call("SET", key, state, "KEEPTTL")
  else redis.call("SET", key, state, "PX", math.max(1, math.ceil(expires - now))) end
end

local mode = ARGV[1]
-- p3, p4 and the cost are mostly "0" or "1": skip their conversion (tonumber runs strtod)
local function num(s)
  if s == "0" then return 0 elseif s == "1" then return 1 end
  return tonumber(s)
end

if mode == "settle" then
  local now, n = tonumber(ARGV[2]), tonumber(ARGV[3])
  -- after-response accounting: add (charge), release (concurrency), lower (holds), reset
  for i = 1, n do
    local b = 3 + (i - 1) * 8
    local key, kind, op = KEYS[i], ARGV[b + 1], ARGV[b + 7]
    local p1, p2, p3, p4 = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), num(ARGV[b + 4]), num(ARGV[b + 5])
    local amount, lease = tonumber(ARGV[b + 6]), ARGV[b + 8]
    if op == "reset" then redis.call("DEL", key)
    else
      local raw = redis.call("GET", key)
      if op == "add" and kind == "hold" then
        local L = lists()
        local list = L.live(L.parse(raw, kind), 1, now)
        if amount > 0 then L.insert(list, 1, { L.fmt(now + p2), L.fmt(amount) }) end
        store(key, L.encode(kind, list), now + L.last(list, 1, now), now, raw)
      elseif op == "add" and kind == "tb" then
        local tokens, at = tb_state(raw, p1, p2, now)
        tokens = tokens - amount
        local expires = at + math.max(0, math.ceil((p1 - tokens) / p2))
        store(key, struct.pack("<Bddd", 4, expires, tokens, at), expires, now, raw)
      elseif op == "add" and kind ~= "cc" then
        -- charging = admitting against an unbounded limit, keeping the algorithm's own bookkeeping
        local huge = 1e300
        if kind == "fw" or kind == "cal" or kind == "log" then p1 = huge
        elseif kind == "sw" then p1 = huge; p4 = huge
        elseif kind == "gcra" then p2 = huge end
        local _, _, _, _, ns, expires = admit_one(kind, p1, p2, p3, p4, amount, raw, now, "")
        store(key, ns, expires, now, raw)
      elseif op == "release" and kind == "cc" then
        local L = lists()
        local list = L.live(L.parse(raw, kind), 2, now)
        for j = 1, #list do
          if list[j][1] == lease then table.remove(list, j); break end
        end
        store(key, L.encode(kind, list), now + L.last(list, 2, now), now, raw)
      elseif op == "lower" and kind == "hold" then
        local L = lists()
        local list = L.live(L.parse(raw, kind), 1, now)
        local left = amount
        while left > 0 and #list > 0 do
          local last = list[#list]
          local have = tonumber(last[2])
          local take = math.min(left, have)
          left = left - take
          if take == have then table.remove(list) else last[2] = L.fmt(have - take) end
        end
        store(key, L.encode(kind, list), now + L.last(list, 1, now), now, raw)
      end
    end
  end
  return n
end

-- admit: a batch of admissions, each atomic (all its items consume or none), applied in order:
-- each sees what the ones before it consumed. Every distinct key is read once (one MGET) and
-- written once, with the state the last admission left. Specs and admissions are binary (see
-- admission-batch.ts): struct.unpack reads them without a string or a tonumber per number.
local raws = redis.call("MGET", unpack(KEYS))
-- per key: its latest state (false = none), and for keys an admission changed, expiry and clock
local states, expiries, nows = {}, {}, {}
for k = 1, #KEYS do states[k] = raws[k] end
local KINDS = { ${KIND_CODES.map((kind) => `"${kind}"`).join(", ")} }
local sk, s1, s2, s3, s4 = {}, {}, {}, {}, {}
local specs, pos = ARGV[2], 1
for s = 1, #specs / 33 do
  local code
  code, s1[s], s2[s], s3[s], s4[s], pos = struct.unpack("<Bdddd", specs, pos)
  sk[s] = KINDS[code]
end
local blob = ARGV[3]
local m
m, pos = struct.unpack("<H", blob, 1)
local reply, r = {}, 0
-- this admission's items: key index, the state each leaves (false when it consumes nothing), its expiry
local ks, made, made_exp = {}, {}, {}
for _ = 1, m do
  local now, n
  now, n, pos = struct.unpack("<dH", blob, pos)
  local head = r
  reply[head + 1] = 1; reply[head + 2] = -1
  r = head + 2
  for i = 1, n do
    local k, s, cost, later, li
    k, s, cost, later, li, pos = struct.unpack("<HHdBH", blob, pos)
    ks[i] = k
    local raw = states[k]
    -- a key named twice in one admission sees the state its latest consuming item left
    for j = i - 1, 1, -1 do
      if ks[j] == k and made[j] then raw = made[j]; break end
    end
    local lease = ""
    if li > 0 then lease = ARGV[3 + li] end
    local ok, rem, reset, retry, ns, expires = admit_one(sk[s], s1[s], s2[s], s3[s], s4[s], cost, raw, now, lease)
    if ok and later == 0 then
      made[i] = ns; made_exp[i] = expires
    else
      made[i] = false
      if not ok and reply[head + 1] == 1 then reply[head + 1] = 0; reply[head + 2] = i - 1 end
    end
    reply[r + 1] = ok and 1 or 0
    reply[r + 2] = rem
    reply[r + 3] = reset
    reply[r + 4] = retry
    r = r + 4
  end
  if reply[head + 1] == 1 then
    for i = 1, n do
      if made[i] then
        local k = ks[i]
        states[k] = made[i]; expiries[k] = made_exp[i]; nows[k] = now
      end
    end
  end
end
for k = 1, #KEYS do
  if expiries[k] then store(KEYS[k], states[k], expiries[k], nows[k], raws[k]) end
end
return reply
`;
