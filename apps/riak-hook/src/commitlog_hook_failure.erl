%%% commitlog_hook_failure: a commit the hook could not hand off, written to the failure log
%%% (commitlog_failure_log, through the node's group writer commitlog_failure_writer) for
%%% `commitlog requeue`, and, when even that fails, logged by its
%%% identity (bucket, key, vclock; never its value) and counted as unkept over statsd, the
%%% signal that needs no disk.
%%%
%%% Inputs:  write/4: the commit's JSON, its bucket and key (a map, for logs), the reason (an
%%%          atom), the failure log's path. count_unkept/1: what write/4 returned.
%%% Outputs: write/4 -> ok | unkept (the line could not be written; logged at error).
%%%          write/5 -> the same, or {handed_off, Result} when its last try handed it off.
%%%          count_unkept/1 -> ok.
%%% Errors:  none raised by count_unkept/1; write/4 raises only for arguments of the wrong type.
-module(commitlog_hook_failure).

-export([write/4, write/5, count_unkept/1]).

-define(DOMAIN, #{domain => [commitlog]}).

-spec write(iodata(), map(), atom(), file:filename_all()) -> ok | unkept.
write(Json, Ids, Reason, Path) ->
    case write(Json, Ids, Reason, Path, fun(_) -> false end) of
        ok -> ok;
        unkept -> unkept
    end.

%% As write/4, but a line that cannot be written first gets `LastTry(FileError)`: {handed_off, Result}
%% when it handed the commit off after all (then nothing is logged here, Result is returned as
%% {handed_off, Result}), false when it did not (then the commit is unkept, as with write/4).
-spec write(iodata(), map(), atom(), file:filename_all(), fun((term()) -> false | {handed_off, T})) ->
    ok | unkept | {handed_off, T}.
write(Json, Ids, Reason, Path, LastTry) ->
    Written =
        %% The append inside the try too: whatever it raises, the commit is logged and counted as
        %% unkept below, never lost without a word.
        try
            Line = commitlog_failure_log:line(Reason, Json, os:system_time(microsecond)),
            commitlog_failure_writer:append(Path, Line)
        catch
            Class:Error -> {error, {Class, Error}}
        end,
    case Written of
        ok ->
            ok;
        {error, FileError} ->
            last_try(LastTry(FileError), Json, Ids, Reason, Path, FileError)
    end.

last_try({handed_off, _} = Handed, _Json, _Ids, _Reason, _Path, _FileError) ->
    Handed;
last_try(false, Json, Ids, Reason, Path, FileError) ->
    logger:error(
        Ids#{
            what => commitlog_failure_log_write_failed,
            failure_log => Path,
            file_error => FileError,
            reason => Reason,
            vclock => vclock_of(Json),
            text => "commit neither handed off nor written to the failure log: "
                "replay it from Riak by bucket, key and vclock"
        },
        ?DOMAIN
    ),
    unkept.

%% Counts a commit whose failure line could not be written, on the paths that have no
%% configuration at hand (a crash: reading it may be what failed): the statsd address is read
%% on its own, and the count skipped when even that fails.
-spec count_unkept(ok | unkept) -> ok.
count_unkept(ok) ->
    ok;
count_unkept(unkept) ->
    try
        commitlog_statsd:unkept(commitlog_hook_config:statsd_address())
    catch
        _:_ -> ok
    end.

%% The top-level vclock of a commit's JSON, for the last-resort log line: the commit's encoder
%% writes it before the siblings, so the first match is the commit's own.
vclock_of(Json) ->
    case re:run(Json, <<"\"vclock\":\"([A-Za-z0-9+/=]*)\"">>, [{capture, all_but_first, binary}]) of
        {match, [Vclock]} -> Vclock;
        nomatch -> undefined
    end.
