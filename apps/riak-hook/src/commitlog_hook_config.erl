%%% commitlog_hook_config: the hook's settings, read on every call (an ETS lookup and a getenv
%%% each, microseconds), so that a change made with application:set_env/3 or in the node's
%%% environment applies to the next commit without a restart, and no state needs a process.
%%%
%%% Inputs:  the application environment of commitlog_riak_hook (advanced.config / set_env),
%%%          then the OS environment, then the defaults below; the first that is set wins.
%%%
%%%   key                  OS variable                      default / unit
%%%   ingest_url           COMMITLOG_INGEST_URL             "http://127.0.0.1:8080" (POSTs go to
%%%                                                         <ingest_url>/v1/commits); https://
%%%                                                         speaks TLS, always verifying the
%%%                                                         ingest's certificate
%%%   ca_file              COMMITLOG_CA_FILE                none: the OS's trust store (OTP 25+);
%%%                                                         else a PEM file of the CA(s) an
%%%                                                         https ingest's certificate must
%%%                                                         chain to (commitlog_tls_ca)
%%%   secret               COMMITLOG_SECRET                 none: required; without it every
%%%                                                         commit goes to the failure log
%%%   failure_log          COMMITLOG_FAILURE_LOG            "/var/log/riak/commitlog-failed.jsonl"
%%%   connect_timeout_ms   COMMITLOG_CONNECT_TIMEOUT_MS     200 ms, per attempt
%%%   request_timeout_ms   COMMITLOG_REQUEST_TIMEOUT_MS     300 ms, per attempt, connect included
%%%   retry_budget_ms      COMMITLOG_RETRY_BUDGET_MS        500 ms for the whole hand-off,
%%%                                                         requests and back-off sleeps included
%%%                        (each of these three at most 5000 ms: a larger value is taken as 5000,
%%%                        with a warning)
%%%   breaker_cooldown_ms  COMMITLOG_BREAKER_COOLDOWN_MS    5000 ms the breaker stays open
%%%   log_level            COMMITLOG_LOG_LEVEL              debug: the level of the line logged for
%%%                                                         a delivered commit (failures always log
%%%                                                         at warning or error); a line per put at
%%%                                                         Riak's console level (info) would make
%%%                                                         put processes wait on OTP's logger
%%%   statsd_host          COMMITLOG_STATSD_HOST            none (statsd off); an IP address
%%%                                                         (IPv4, or IPv6 without brackets): a
%%%                                                         host name is refused (statsd off, a
%%%                                                         warning), as no DNS may run per commit
%%%   statsd_port          COMMITLOG_STATSD_PORT            none (statsd off)
%%%   max_body_bytes       COMMITLOG_MAX_BODY_BYTES         16777216 bytes: a commit JSON larger
%%%                                                         than this goes to the failure log as
%%%                                                         too_large, without a request (the
%%%                                                         largest body the ingest reads for one
%%%                                                         commit of declared length: its default
%%%                                                         MAX_BATCH_BYTES, 16 MiB; whether the
%%%                                                         commit fits MAX_COMMIT_BYTES as a
%%%                                                         Kafka record only the ingest judges)
%%%
%%% Output:  read/0 -> config() map (below). failure_log/0 -> the failure log's path alone,
%%%          never raising (the default when even that cannot be read): the hook's last resort
%%%          when read/0 itself crashed.
%%% Errors:  none. A value that does not parse is replaced by its default and a warning is logged
%%%          each time it is read, so a misconfiguration stays visible until it is fixed.
-module(commitlog_hook_config).

-export([read/0, failure_log/0, statsd_address/0]).

-export_type([config/0]).

-type config() :: #{
    ingest_url := string(),
    ca_file := binary() | undefined,
    secret := binary() | undefined,
    failure_log := file:filename_all(),
    connect_timeout_ms := pos_integer(),
    request_timeout_ms := pos_integer(),
    retry_budget_ms := non_neg_integer(),
    breaker_cooldown_ms := non_neg_integer(),
    log_level := logger:level(),
    statsd := {inet:ip_address(), inet:port_number()} | undefined,
    max_body_bytes := pos_integer()
}.

-define(APP, commitlog_riak_hook).
-define(DEFAULT_FAILURE_LOG, "/var/log/riak/commitlog-failed.jsonl").
%% 16 MiB: the ingest's singleRequestBodyLimit for a request that declares its length, with its
%% default MAX_BATCH_BYTES (apps/ingest/src/commit-handlers.ts). A body under it whose record is
%% over MAX_COMMIT_BYTES is refused 413 by the ingest and logged as rejected_413.
-define(DEFAULT_MAX_BODY_BYTES, 16777216).
%% 32 MiB: the most of a refused body the ingest reads and throws away before it answers
%% (DRAIN_REFUSED_BODY_MAX_BYTES, apps/ingest/src/ingest-app.ts). Past it the ingest closes the
%% connection while the hook still sends: the hook would see a broken connection, count it as
%% the ingest failing and open the breaker for the whole node, instead of one rejected_413.
-define(MAX_MAX_BODY_BYTES, 33554432).
%% The longest connect_timeout_ms, request_timeout_ms and retry_budget_ms taken (see handoff_ms/4).
-define(MAX_HANDOFF_MS, 5000).
-define(LEVELS, [emergency, alert, critical, error, warning, notice, info, debug]).

-spec read() -> config().
read() ->
    ok = commitlog_hook_setup:ensure_app_loaded(),
    Config = #{
        ingest_url => string(ingest_url, "COMMITLOG_INGEST_URL", "http://127.0.0.1:8080"),
        ca_file => path(ca_file, "COMMITLOG_CA_FILE", undefined),
        secret => secret(),
        failure_log => path(failure_log, "COMMITLOG_FAILURE_LOG", ?DEFAULT_FAILURE_LOG),
        connect_timeout_ms =>
            handoff_ms(connect_timeout_ms, "COMMITLOG_CONNECT_TIMEOUT_MS", 200, 1),
        request_timeout_ms =>
            handoff_ms(request_timeout_ms, "COMMITLOG_REQUEST_TIMEOUT_MS", 300, 1),
        retry_budget_ms => handoff_ms(retry_budget_ms, "COMMITLOG_RETRY_BUDGET_MS", 500, 0),
        breaker_cooldown_ms =>
            integer(breaker_cooldown_ms, "COMMITLOG_BREAKER_COOLDOWN_MS", 5000, 0),
        log_level => log_level(),
        statsd => statsd(),
        max_body_bytes => max_body_bytes()
    },
    ok = commitlog_hook_setup:check_failure_log_once(maps:get(failure_log, Config)),
    ok = commitlog_hook_setup:check_secret_once(maps:get(secret, Config)),
    Config.

-spec failure_log() -> file:filename_all().
failure_log() ->
    loaded_or(fun() -> path(failure_log, "COMMITLOG_FAILURE_LOG", ?DEFAULT_FAILURE_LOG) end,
        ?DEFAULT_FAILURE_LOG).

%% The statsd address alone, for counting a commit the failure log could not keep on a path
%% where read/0 may be what failed (a crash): undefined when it cannot be read either.
-spec statsd_address() -> {inet:ip_address(), inet:port_number()} | undefined.
statsd_address() ->
    loaded_or(fun statsd/0, undefined).

%%% Internal

%% Setting() once the app is loaded (before, advanced.config's values read as unset: a commit
%% can fail before read/0 ever ran), or Default when that fails.
loaded_or(Setting, Default) ->
    try
        ok = commitlog_hook_setup:ensure_app_loaded(),
        Setting()
    catch
        _:_ -> Default
    end.

%% {ok, Value} from the application env, else from the OS env (an empty variable is unset).
lookup(Key, OsVar) ->
    case application:get_env(?APP, Key) of
        {ok, Value} ->
            {ok, Value};
        undefined ->
            commitlog_os_env:text(OsVar)
    end.

string(Key, OsVar, Default) ->
    case lookup(Key, OsVar) of
        {ok, V} when is_binary(V) -> binary_to_list(V);
        {ok, V} when is_list(V) -> V;
        {ok, V} -> invalid(Key, V, Default);
        undefined -> Default
    end.

%% A file name as the bytes it was given, as a binary (a raw file name, taken as it is whatever
%% the VM's file name encoding). Text (a config file's string) is its UTF-8 bytes; the OS
%% environment's value is its bytes as they are (commitlog_os_env:bytes/1).
path(Key, OsVar, Default) ->
    case application:get_env(?APP, Key) of
        {ok, V} when is_binary(V), V =/= <<>> ->
            V;
        {ok, V} when is_list(V), V =/= [] ->
            case unicode:characters_to_binary(V) of
                B when is_binary(B) -> B;
                _NotText -> invalid(Key, V, Default)
            end;
        {ok, V} ->
            invalid(Key, V, Default);
        undefined ->
            case commitlog_os_env:bytes(OsVar) of
                {ok, Bytes} -> Bytes;
                undefined -> Default
            end
    end.

%% The ingest signs with the UTF-8 bytes of its secret. os:getenv and a config file give a string
%% as code points, so a character past 127 must become its UTF-8 bytes (iolist_to_binary would
%% make it one Latin-1 byte, and every request would be refused 401). Whitespace at either end
%% (a trailing space or CR from an environment file) is dropped, as the ingest drops it from its
%% INGEST_SECRETS; otherwise every commit would be refused 401 and go to the failure log.
secret() ->
    Bytes =
        case lookup(secret, "COMMITLOG_SECRET") of
            {ok, V} when is_binary(V) ->
                V;
            {ok, V} when is_list(V) ->
                try unicode:characters_to_binary(V) of
                    B when is_binary(B) -> B;
                    _NotText -> <<>>
                catch
                    error:badarg -> <<>>
                end;
            _ ->
                <<>>
        end,
    case commitlog_os_env:trim(Bytes) of
        <<>> -> undefined;
        Secret -> Secret
    end.

integer(Key, OsVar, Default, Min) ->
    case lookup(Key, OsVar) of
        {ok, V} when is_integer(V), V >= Min ->
            V;
        {ok, V} when is_list(V); is_binary(V) ->
            try list_to_integer(string:trim(to_list(V))) of
                I when I >= Min -> I;
                _ -> invalid(Key, V, Default)
            catch
                error:badarg -> invalid(Key, V, Default)
            end;
        {ok, V} ->
            invalid(Key, V, Default);
        undefined ->
            Default
    end.

log_level() ->
    case lookup(log_level, "COMMITLOG_LOG_LEVEL") of
        undefined ->
            debug;
        {ok, V} ->
            Name = string:lowercase(string:trim(to_list(V))),
            case [L || L <- ?LEVELS, atom_to_list(L) =:= Name] of
                [Level] -> Level;
                [] -> invalid(log_level, V, debug)
            end
    end.

statsd() ->
    Host = statsd_host(),
    Port = integer(statsd_port, "COMMITLOG_STATSD_PORT", undefined, 1),
    case {Host, Port} of
        {H, P} when is_tuple(H), is_integer(P), P =< 65535 -> {H, P};
        {_, P} when is_integer(P), P > 65535 -> invalid(statsd_port, P, undefined);
        _ -> undefined
    end.

%% The config is read on every commit, in Riak's put process, and statsd gets a datagram per
%% commit: a host name would be one DNS lookup per commit (gen_udp:send/4 resolves a name on
%% every call), so only an address is taken. Resolving a name here, or caching what it resolved
%% to, would either put the lookup on the put path or freeze an answer the DNS may change.
statsd_host() ->
    case lookup(statsd_host, "COMMITLOG_STATSD_HOST") of
        undefined ->
            undefined;
        {ok, V} when is_tuple(V) ->
            %% advanced.config's natural form for an address: {10, 0, 0, 1}.
            case inet:ntoa(V) of
                {error, einval} -> invalid(statsd_host, V, undefined);
                _Text -> V
            end;
        {ok, V} ->
            case inet:parse_address(string:trim(to_list(V))) of
                {ok, Address} -> Address;
                {error, einval} -> invalid(statsd_host, V, undefined)
            end
    end.

to_list(V) when is_list(V) -> V;
to_list(V) when is_binary(V) -> binary_to_list(V);
to_list(V) when is_atom(V) -> atom_to_list(V);
to_list(V) when is_integer(V) -> integer_to_list(V);
to_list(_) -> "".

%% The hook runs in Riak's put process, which holds one of the node's put slots until the hook
%% returns: a budget of many seconds would, during an outage, hold a slot per write for that long
%% (until the breaker opens) and Riak would refuse writes as overloaded. So each of the times a
%% hand-off may take is held to ?MAX_HANDOFF_MS, with a warning, rather than taken as given.
handoff_ms(Key, OsVar, Default, Min) ->
    at_most(Key, integer(Key, OsVar, Default, Min), ?MAX_HANDOFF_MS).

max_body_bytes() ->
    Bytes = integer(max_body_bytes, "COMMITLOG_MAX_BODY_BYTES", ?DEFAULT_MAX_BODY_BYTES, 1),
    at_most(max_body_bytes, Bytes, ?MAX_MAX_BODY_BYTES).

%% A setting past what the hook can use is held to it, with a warning.
at_most(Key, Value, Max) when Value > Max ->
    warn_once(#{what => commitlog_hook_config_capped, key => Key, value => Value, using => Max}),
    Max;
at_most(_Key, Value, _Max) ->
    Value.

invalid(Key, Value, Default) ->
    warn_once(#{
        what => commitlog_hook_config_invalid, key => Key, value => Value, using => Default
    }),
    Default.

%% The configuration is read for every commit, in Riak's put process: a setting refused or held
%% back is said once per VM and value, not once per commit (at a high write rate, a warning per
%% commit would make OTP's logger block the put processes). A value changed to another bad one
%% is said again. Remembered in persistent_term, written once per distinct value.
warn_once(#{key := Key, value := Value} = Report) ->
    Seen = {?MODULE, warned, Key, Value},
    case persistent_term:get(Seen, false) of
        true ->
            ok;
        false ->
            persistent_term:put(Seen, true),
            logger:warning(Report, #{domain => [commitlog]})
    end.
