%%% commitlog_hook: the Riak KV postcommit hook. Hands every committed object to the commitlog
%%% ingest (DESIGN.md, "The Riak hook"), or, when it cannot, writes it to the failure log for
%%% `commitlog requeue`.
%%%
%%% Register it on a bucket type (or bucket):
%%%   riak-admin bucket-type update T \
%%%     '{"props":{"postcommit":[{"mod":"commitlog_hook","fun":"postcommit"}]}}'
%%% Riak calls postcommit/1 in the put-FSM process after it has answered the client, counts a
%%% `{fail, Reason}` it returns (and what it raises) in its postcommit_fail stat, logging them at
%%% debug level only; it never retries.
%%%
%%% Inputs:  postcommit/1, handoff/1, commit_json/1: a riak_object() (every sibling, tombstones
%%%          included). handoff_json/3: a commit's JSON and its bucket and key for logs.
%%%          Configuration: commitlog_hook_config (app env of commitlog_riak_hook, then OS env).
%%% Outputs: postcommit/1 -> ok when the commit was handed off or written to the failure log;
%%%            {fail, unkept} when it was neither (a full disk: see below), {fail, crash} for a
%%%            term that is not a riak_object.
%%%          handoff/1, handoff_json/3 -> {Outcome, Micros}: Outcome is one of
%%%            delivered     the ingest answered 202 (a new commit)
%%%            duplicate     202 with duplicate: true (it had the commit already)
%%%            rejected      a 4xx that no retry fixes (bad body, bad signature, too large):
%%%                          logged at error, written to the failure log as rejected_<status>;
%%%                          or a commit JSON over max_body_bytes: not sent, logged at error
%%%                          (bucket, key, size), written to the failure log as too_large, the
%%%                          breaker left as it was
%%%            failed        the retry budget was spent, or no secret, or an ingest_url the hook
%%%                          cannot use (unsupported_url: not an http(s) URL), or for https no
%%%                          CA certificates (ca_file_unreadable, tls_unconfigured), or a TLS
%%%                          handshake that failed (tls_failed: a certificate that does not
%%%                          verify or is not for the ingest's host; not retried, and the
%%%                          breaker opens as for a failed connection): written to the failure
%%%                          log with the reason
%%%            breaker_open  the ingest failed moments ago: not called, written to the failure
%%%                          log with reason breaker_open
%%%          A crash once the commit's JSON is built (reading the config, the breaker, the client,
%%%          logging, statsd) is caught there: the commit goes to the failure log with reason
%%%          crash (logged at error: class, reason kind, stack, bucket, key) and the outcome is
%%%          failed. A riak_object whose JSON cannot be built goes there too, as its external
%%%          term (reason unencodable), and the outcome is failed.
%%%          and Micros the time the hand-off held the calling process.
%%%          commit_json/1 -> the exact body the hook posts (binary).
%%%          reset_breaker/0 -> ok (closes the circuit breaker).
%%% Errors:  postcommit/1 raises nothing: it catches every error, exit and throw and logs it
%%%          (kind and stack only: a crash reason can hold the object, and values are never
%%%          logged). handoff/1 and commit_json/1 raise for a term that is not a riak_object
%%%          (commit_json/1 also for one it cannot encode).
%%%          When even the failure log cannot be written, a commit the open breaker kept from the
%%%          ingest is sent once past it (keep/4); one still not handed off is logged by its
%%%          bucket, key and vclock at error level (never its value) and counted unkept.
%%%
%%% Every hand-off is logged: outcome, duration_us, attempts, bucket, key (and reason, status,
%%% code when it failed); at log_level (default debug) when delivered, warning when it went to
%%% the failure log, error when rejected, when the node lacks a secret, a usable ingest_url or
%%% CA certificates, or when a TLS handshake failed, a failure at most once a second per outcome
%%% and reason (commitlog_hook_log).
%%% Optional statsd: commitlog_statsd.
%%%
%%% Needs OTP 24+ (commitlog_http_pool uses process aliases; logger, atomics and persistent_term
%%% are 21.2+, commitlog_signature's crypto:mac/4 22.1+).
-module(commitlog_hook).

-export([postcommit/1, commit_json/1, handoff/1, handoff_json/3, reset_breaker/0]).

-define(DOMAIN, #{domain => [commitlog]}).
%% Bodies past this size whose hand-off times out leave the breaker as it was (see call_ingest/3).
-define(BREAKER_BLIND_BODY_BYTES, 1048576).

-type outcome() :: delivered | duplicate | rejected | failed | breaker_open.
-export_type([outcome/0]).

%% Riak counts a `{fail, Reason}` in its `postcommit_fail` stat (in memory, logged at debug
%% level only), which operators already alert on: a commit neither handed off nor written to the
%% failure log is counted there even when statsd is off and the disk is full.
-spec postcommit(term()) -> ok | {fail, unkept | crash}.
postcommit(Object) ->
    try kept_handoff(Object) of
        {_Outcome, _Micros, kept} -> ok;
        {_Outcome, _Micros, unkept} -> {fail, unkept}
    catch
        Class:Reason:Stack ->
            log_object_crash(Object, Class, Reason, Stack),
            {fail, crash}
    end.

-spec commit_json(term()) -> binary().
commit_json(Object) ->
    iolist_to_binary(commitlog_json:encode(commitlog_commit:from_object(Object))).

-spec handoff(term()) -> {outcome(), non_neg_integer()}.
handoff(Object) ->
    {Outcome, Micros, _Kept} = kept_handoff(Object),
    {Outcome, Micros}.

%% As handoff/1, and whether the commit was kept: handed off or in the failure log.
kept_handoff(Object) ->
    Start = now_us(),
    try commit_json(Object) of
        Json -> handoff(Json, ids(Object), Start)
    catch
        Class:Reason:Stack ->
            case ids(Object) of
                #{key := _} = Ids -> unencodable(Object, Ids, {Class, Reason, Stack}, Start);
                %% Not a riak_object: nothing to keep (postcommit logs it).
                #{} -> erlang:raise(Class, Reason, Stack)
            end
    end.

%% For callers that hold a commit's JSON rather than a riak_object (the benchmark, tools). The
%% JSON is put on one line first: a failure log line holds one commit, and pretty-printed JSON
%% would break it in pieces that `commitlog requeue` cannot read. A line break in valid JSON can
%% only be whitespace between tokens (inside a string it is escaped), so a space keeps it valid.
-spec handoff_json(iodata(), binary() | string(), binary() | string()) ->
    {outcome(), non_neg_integer()}.
handoff_json(Json, DisplayBucket, DisplayKey) ->
    OneLine = binary:replace(iolist_to_binary(Json), [<<"\r">>, <<"\n">>], <<" ">>, [global]),
    {Outcome, Micros, _Kept} =
        handoff(OneLine, #{bucket => DisplayBucket, key => DisplayKey}, now_us()),
    {Outcome, Micros}.

-spec reset_breaker() -> ok.
reset_breaker() ->
    commitlog_breaker:reset().

%%% Internal

%% Once the JSON is built, whatever goes wrong (a config value that makes the reader raise, a
%% bug in the client, the breaker, logging or statsd) must not lose the commit: a crash here
%% writes it to the failure log with reason `crash` (the failure log's path read on its own,
%% its default when even that fails). A crash after the ingest took the commit makes a
%% duplicate line at worst, which `commitlog requeue` replays as a duplicate.
handoff(Json, Ids, Start) ->
    try
        handoff_config(Json, Ids, Start, commitlog_hook_config:read())
    catch
        Class:Reason:Stack ->
            Kept = commitlog_hook_failure:write_alone(Json, Ids, crash),
            log_crash(Ids#{outcome => failed, reason => crash}, Class, Reason, Stack),
            Micros = now_us() - Start,
            count_failed(Micros),
            {failed, Micros, Kept}
    end.

%% A hand-off that crashed counted in statsd as a failed one (`commitlog.hook.failed`, which the
%% failure-log alerts watch), the statsd address read on its own (the configuration may be what
%% crashed); nothing when even that fails.
count_failed(Micros) ->
    try
        commitlog_statsd:handoff(commitlog_hook_config:statsd_address(), failed, Micros)
    catch
        _:_ -> ok
    end.

%% A riak_object whose commit JSON could not be built (metadata of a shape the encoder does not
%% read) must not be lost either: the object itself goes to the failure log
%% (commitlog_hook_failure:write_unencodable/2).
unencodable(Object, Ids, {Class, Reason, Stack}, Start) ->
    Kept = commitlog_hook_failure:write_unencodable(Object, Ids),
    log_crash(Ids#{outcome => failed, reason => unencodable}, Class, Reason, Stack),
    Micros = now_us() - Start,
    count_failed(Micros),
    {failed, Micros, Kept}.

handoff_config(Json, Ids, Start, Config) ->
    {Outcome, Report, Kept} = keep(Json, Ids, deliver(Json, Config), Config),
    Micros = now_us() - Start,
    commitlog_hook_log:handoff(Outcome, Micros, maps:merge(Report, Ids), Config),
    commitlog_statsd:handoff(maps:get(statsd, Config), Outcome, Micros),
    {Outcome, Micros, Kept}.

%% Writes a commit that was not handed off to the failure log. One the failure log cannot keep
%% (a full or read-only disk) that the open breaker kept from the ingest gets one try of its own
%% past the breaker: the ingest may well be back, and it is the commit's last chance. (One whose
%% own hand-off failed just now is not sent again: the ingest failed it moments ago.)
keep(Json, Ids, {Outcome, #{reason := Reason} = Report}, Config) ->
    LastTry =
        case Outcome of
            breaker_open -> fun(FileError) -> past_breaker(Json, Config, FileError) end;
            _ -> fun(_) -> false end
        end,
    case commitlog_hook_failure:write(Json, Ids, Reason, maps:get(failure_log, Config), LastTry) of
        ok ->
            {Outcome, Report, kept};
        {handed_off, {Handed, HandedReport}} ->
            {Handed, HandedReport, kept};
        unkept ->
            commitlog_statsd:unkept(maps:get(statsd, Config)),
            {Outcome, Report, unkept}
    end;
keep(_Json, _Ids, {Delivered, Report}, _Config) ->
    {Delivered, Report, kept}.

past_breaker(Json, Config, FileError) ->
    case commitlog_ingest_client:post(Json, Config) of
        {Accepted, Attempts} when Accepted =:= delivered; Accepted =:= duplicate ->
            Report = #{
                attempts => Attempts,
                past_open_breaker => true,
                failure_log => maps:get(failure_log, Config),
                file_error => FileError
            },
            {handed_off, {Accepted, Report}};
        {_, _} ->
            false
    end.

%% {Outcome, Report}: Report holds `attempts`, and `reason` when the commit goes to the failure
%% log.
deliver(Json, Config) ->
    Size = iolist_size(Json),
    case Config of
        #{max_body_bytes := Max} when Size > Max ->
            %% The ingest would refuse it (413) however often it were sent: it goes to the
            %% failure log at once, and says nothing about the ingest's health, so the breaker
            %% is left as it is.
            {rejected, #{attempts => 0, reason => too_large, size => Size, max_body_bytes => Max}};
        #{secret := undefined} ->
            {failed, #{attempts => 0, reason => no_secret}};
        #{} ->
            %% A URL the hook cannot use, or an https one without CA certificates to verify the
            %% ingest with (a ca_file that cannot be read, no OS trust store), is a
            %% configuration error, not an ingest that is down: every commit says so at error
            %% level (with what is wrong: the file and its error), and the breaker (which would
            %% turn the rest into breaker_open warnings) is left alone, as for no_secret.
            case commitlog_ingest_client:target(Config) of
                {ok, Target} ->
                    call_ingest(Json, Size, Target, Config);
                {error, Reason, Details} ->
                    {failed, Details#{attempts => 0, reason => Reason}}
            end
    end.

call_ingest(Json, Size, Target, Config) ->
    #{breaker_cooldown_ms := Cooldown} = Config,
    case commitlog_breaker:allow(probe_timeout_ms(Config)) of
        open ->
            {breaker_open, #{attempts => 0, reason => breaker_open}};
        Allowed ->
            case commitlog_ingest_client:post(Json, Target, Config) of
                {Accepted, Attempts} when Accepted =:= delivered; Accepted =:= duplicate ->
                    commitlog_breaker:success(),
                    {Accepted, #{attempts => Attempts}};
                {{rejected, Status, Code}, Attempts} ->
                    %% The ingest answered: it is up, whatever it thought of this commit.
                    commitlog_breaker:success(),
                    Reason = list_to_atom("rejected_" ++ integer_to_list(Status)),
                    {rejected, #{
                        attempts => Attempts, reason => Reason, status => Status, code => Code
                    }};
                {{refused, Reason, Code}, Attempts} ->
                    %% The ingest is up and refused this commit for now (one full lane, a busy
                    %% ingest, its Redis away), at once. The next commit may well be taken, so
                    %% the breaker is not opened (it would send every commit of the node to the
                    %% failure log for its cooldown).
                    commitlog_breaker:success(),
                    {failed, #{attempts => Attempts, reason => Reason, code => Code}};
                {{failed, timeout}, Attempts} when
                    Size > ?BREAKER_BLIND_BODY_BYTES
                ->
                    %% A body this large may simply not cross and be stored within an attempt's
                    %% deadline: its timeout says little about the ingest. Opened for it, the
                    %% breaker would send every commit of the node to the failure log for a
                    %% cooldown, so it is left as it was; as a probe, it lets the next caller
                    %% probe.
                    Allowed =:= probe andalso commitlog_breaker:release_probe(),
                    {failed, #{attempts => Attempts, reason => timeout}};
                {{failed, Reason}, Attempts} ->
                    commitlog_breaker:failure(Cooldown),
                    {failed, #{attempts => Attempts, reason => Reason}}
            end
    end.

%% How long a half-open probe may be in flight before another caller may probe instead: longer
%% than any hand-off can take.
probe_timeout_ms(#{retry_budget_ms := B, request_timeout_ms := R, connect_timeout_ms := C}) ->
    B + R + C + 1000.

%% A crash before the JSON was built (the object is not one the hook can read).
log_object_crash(Object, Class, Reason, Stack) ->
    log_crash(ids(Object), Class, Reason, Stack).

%% Bucket and key for logs; none when the object does not tell them (never raises).
ids(Object) ->
    try commitlog_commit:describe(Object) of
        {B, K} -> #{bucket => B, key => K}
    catch
        _:_ -> #{}
    end.

%% A crash reason or stack can hold the object (badmatch values, function_clause arguments),
%% and so the value: only the reason's kind and the stack's {M, F, Arity} are logged.
log_crash(Ids, Class, Reason, Stack) ->
    try
        logger:error(
            Ids#{
                what => commitlog_hook_crashed,
                class => Class,
                kind => reason_kind(Reason),
                stack => [{M, F, arity(A)} || {M, F, A, _Loc} <- Stack]
            },
            ?DOMAIN
        )
    catch
        _:_ -> ok
    end.

reason_kind(Reason) when is_atom(Reason) -> Reason;
reason_kind(Reason) when is_tuple(Reason), tuple_size(Reason) > 0, is_atom(element(1, Reason)) ->
    element(1, Reason);
reason_kind(_) -> other.

arity(Args) when is_list(Args) -> length(Args);
arity(Arity) -> Arity.

now_us() ->
    erlang:monotonic_time(microsecond).
