%%% commitlog_hook_failure: a commit the hook could not hand off, written to the failure log
%%% (commitlog_failure_log, through the node's group writer commitlog_failure_writer) for
%%% `commitlog requeue`, and, when even that fails, logged by its
%%% identity (bucket, key, vclock; never its value) and counted as unkept over statsd, the
%%% signal that needs no disk.
%%%
%%% Inputs:  write/4: the commit's JSON, its bucket and key (a map, for logs), the reason (an
%%%          atom), the failure log's path. write_alone/3 and write_unencodable/2, for the paths
%%%          that cannot trust the hook's configuration: the JSON (or the riak_object), its ids
%%%          and the reason; they read the failure log's path and the statsd address on their own.
%%% Outputs: write/4 -> ok | unkept (the line could not be written; logged at error).
%%%          write/5 -> the same, or {handed_off, Result} when its last try handed it off.
%%%          write_alone/3, write_unencodable/2 -> kept | unkept (counted over statsd).
%%% Errors:  none raised by write_alone/3 and write_unencodable/2; write/4 raises only for
%%%          arguments of the wrong type.
-module(commitlog_hook_failure).

-export([write/4, write/5, write_alone/3, write_unencodable/2]).

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

%% Writes a commit on a path that has no configuration at hand (a crash: reading it may be what
%% failed): the failure log's path is read on its own (its default when even that fails), and so
%% is the statsd address an unkept commit is counted at (the count skipped when even that fails).
-spec write_alone(iodata(), map(), atom()) -> kept | unkept.
write_alone(Json, Ids, Reason) ->
    Written =
        try
            write(Json, Ids, Reason, commitlog_hook_config:failure_log())
        catch
            _:_ -> unkept
        end,
    case Written of
        ok ->
            kept;
        unkept ->
            try
                commitlog_statsd:unkept(commitlog_hook_config:statsd_address())
            catch
                _:_ -> ok
            end,
            unkept
    end.

%% A riak_object whose commit JSON could not be built, with reason unencodable: the base64 of its
%% external term format under the line's commit.object, beside its bucket and key.
%% `commitlog requeue` names such a line rather than posting it; binary_to_term gives the object
%% back (or Riak does, by bucket and key, until the key is written again).
-spec write_unencodable(term(), #{bucket := term(), key := term(), _ => _}) -> kept | unkept.
write_unencodable(Object, Ids) ->
    try
        Envelope = commitlog_json:encode(
            {object, [
                {unencodable, true},
                {bucket, maps:get(bucket, Ids)},
                {key, maps:get(key, Ids)},
                {object, base64:encode(term_to_binary(Object))}
            ]}
        ),
        write_alone(iolist_to_binary(Envelope), Ids, unencodable)
    catch
        _:_ -> unkept
    end.

%% The top-level vclock of a commit's JSON, for the last-resort log line: the commit's encoder
%% writes it before the siblings, so the first match is the commit's own.
vclock_of(Json) ->
    case re:run(Json, <<"\"vclock\":\"([A-Za-z0-9+/=]*)\"">>, [{capture, all_but_first, binary}]) of
        {match, [Vclock]} -> Vclock;
        nomatch -> undefined
    end.
