import { scrypt } from 'node:crypto';

/**
 * A dashboard password hash (`scrypt:N:r:p:<salt>:<key>`) of the given cost, with a zero salt:
 * what `hash-password` printed before its cost was raised, for tests of hashes already in use.
 */
export function scryptHashAtCost(
  password: string,
  cost: { N: number; r: number; p: number },
): Promise<string> {
  const salt = Buffer.alloc(16);
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, cost, (error, key) =>
      error
        ? reject(error)
        : resolve(
            `scrypt:${cost.N}:${cost.r}:${cost.p}:${salt.toString('base64url')}:${key.toString('base64url')}`,
          ),
    );
  });
}
