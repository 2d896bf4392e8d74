-- Releases one call that ended without settling: frees its slot and its reserved cost.
-- KEYS, two per subject: the in-flight sorted set, the reserved hash. ARGV: reservation id.
for i = 1, #KEYS, 2 do
  redis.call('ZREM', KEYS[i], ARGV[1])
  redis.call('HDEL', KEYS[i + 1], ARGV[1])
end
return {1}
