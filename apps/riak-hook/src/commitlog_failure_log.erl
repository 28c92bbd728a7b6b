%%% commitlog_failure_log: the hook's failure log, one JSON line per commit that could not be
%%% handed off, for `commitlog requeue FILE` to replay.
%%%
%%% Inputs:  the log's path, a reason (atom), the exact commit JSON that was (or would have been)
%%%          posted, and the time of the failure (Unix microseconds).
%%% Output:  append/4 -> ok | {error, file:posix() | term()}; line/3 -> the line it writes:
%%%            {"failedAt":"2026-11-24T12:00:00.123456Z","reason":"http_503","commit":{...}}\n
%%%          `commit` is the posted body byte for byte (compact JSON, no newline in it).
%%% Errors:  {error, Reason} when the file cannot be opened or written (a missing directory,
%%%          permissions, a full disk); the caller logs the commit's identity instead. Never raises.
-module(commitlog_failure_log).

-export([append/4, line/3]).

-spec append(file:name_all(), atom(), iodata(), non_neg_integer()) -> ok | {error, term()}.
append(Path, Reason, CommitJson, FailedAtMicros) ->
    try
        %% One write_file call = one open(O_APPEND), one write(2) of the whole line, one close.
        %% Every Riak process that fails writes its line this way, at the same time as others:
        %% O_APPEND moves each write to the end of the file atomically, and a single write of a
        %% whole line to a local file is not interleaved with another, so lines never mix (that
        %% would need several writes per line, or a shared file descriptor). `raw` opens the file
        %% in the calling process: no file server process to queue behind. The file is never
        %% held open, so log rotation (move or copy-truncate) needs nothing from the hook.
        file:write_file(Path, line(Reason, CommitJson, FailedAtMicros), [append, raw, binary])
    catch
        Class:Error -> {error, {Class, Error}}
    end.

-spec line(atom(), iodata(), non_neg_integer()) -> binary().
line(Reason, CommitJson, FailedAtMicros) ->
    iolist_to_binary([
        commitlog_json:encode(
            {object, [
                {failedAt, commitlog_commit:micros_to_iso8601(FailedAtMicros)},
                {reason, Reason},
                {commit, {json, CommitJson}}
            ]}
        ),
        $\n
    ]).
