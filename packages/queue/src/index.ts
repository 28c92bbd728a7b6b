export {
  createRedisConnection,
  deleteKeysMatching,
  pingRedis,
  type RedisConnection,
  type RedisConnectionOptions,
  type RedisRole,
} from './redis-connection.ts';
