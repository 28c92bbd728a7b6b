# One image for every role; docker-compose.yml picks the role with the command. `commitlog <role>`
# starts the role with the heap settings of packages/runtime/src/role-process-env.ts (V8 flags in
# NODE_OPTIONS, MALLOC_ARENA_MAX); a NODE_OPTIONS given to the container comes after them and wins.
# Node 24 LTS, the version pinned in .node-version (what the tests and benchmarks ran on).
FROM node:24.21.0-slim
WORKDIR /app
RUN corepack enable
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .node-version ./
COPY apps ./apps
COPY packages ./packages
# Every workspace member's manifest, for the lockfile's check; only the roles' are installed (the
# test kit would bring vitest and vite, 45 MB no role loads).
COPY test/package.json ./test/package.json
COPY bench/package.json ./bench/package.json
RUN pnpm install --frozen-lockfile --prod \
  --filter "./apps/**" --filter "./packages/**" --filter "!@commitlog/testkit"
USER node
# A role is picked by the command (`node apps/cli/src/main.ts ingest|worker|dashboard`, as the
# manifests and docker-compose.yml give it); without one the image prints the CLI's usage and
# exits, rather than opening Node's REPL.
CMD ["node", "apps/cli/src/main.ts"]
