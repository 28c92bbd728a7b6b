%%% commitlog_ingest_client: POST one signed commit to the ingest, with a short bounded retry.
%%%
%%% Inputs:  the commit's JSON body (iodata) and the hook's config (commitlog_hook_config):
%%%          ingest_url, secret, connect_timeout_ms, request_timeout_ms, retry_budget_ms.
%%% Output:  post/2 -> {Result, Attempts}, Attempts = HTTP requests made (0 when none could be), and
%%%            Result = delivered                  202, a new commit
%%%                   | duplicate                  202 {"duplicate": true}: the ingest had it
%%%                   | {rejected, Status, Code}   a 4xx other than 429 (or another status that
%%%                                                no retry changes), Code from the error body
%%%                                                ({"error": {"code": ...}}) or undefined
%%%                   | {failed, Reason}           the budget is spent or no retry can fit in it;
%%%                                                Reason: http_<status> (the last 429/5xx),
%%%                                                timeout, connect_failed, connection_closed,
%%%                                                http_error, or no_inets (inets is missing or
%%%                                                will not start).
%%% Errors:  none raised for network or HTTP trouble: every one is a Result.
%%%
%%% Retries: on connection errors, timeouts, 429 and 5xx; exponential back-off with full jitter
%%% (a uniform sleep in [1, min(cap, base * 2^n)] ms) while the budget lasts. Every request's
%%% timeout is cut to what is left of the budget, so a hand-off takes at most about
%%% retry_budget_ms (plus, once, a connect that the budget cut short). When the ingest answers
%%% with Retry-After longer than what is left, waiting is pointless: it gives up at once.
%%%
%%% Transport: httpc (inets) in a profile of its own, `commitlog_hook`, kept-alive connections,
%%% started on first use. The profile's processes live under inets' supervisor, not in Riak's
%%% put-FSM processes.
-module(commitlog_ingest_client).

-export([post/2, ensure_profile/0]).

-define(PROFILE, commitlog_hook).
%% httpc registers a profile's manager as httpc_<profile>: its presence means we are started.
-define(PROFILE_MANAGER, httpc_commitlog_hook).
-define(BACKOFF_BASE_MS, 25).
%% Not worth starting a request with less time than this left.
-define(MIN_ATTEMPT_MS, 10).
-define(HTTPC_OPTIONS, [
    %% Kept-alive connections to the ingest; many put FSMs post at once, so allow several,
    %% and queue at most one request behind another on a connection (head-of-line waits eat the
    %% budget). Idle ones close before the ingest's own 60 s keep-alive timeout would.
    {max_sessions, 16},
    {max_keep_alive_length, 1},
    {keep_alive_timeout, 30000}
]).

-type result() ::
    delivered | duplicate | {rejected, 100..999, binary() | undefined} | {failed, atom()}.
-export_type([result/0]).

-spec post(iodata(), commitlog_hook_config:config()) -> {result(), non_neg_integer()}.
post(Body, Config) ->
    case ensure_profile() of
        ok ->
            #{retry_budget_ms := Budget} = Config,
            Deadline = commitlog_breaker:now_ms() + Budget,
            attempt(iolist_to_binary(Body), url(Config), Config, Deadline, 1);
        {error, _} ->
            {{failed, no_inets}, 0}
    end.

%% Starts inets and the profile if they are not running. Idempotent and safe to race: a second
%% starter gets already_started, which is success.
-spec ensure_profile() -> ok | {error, term()}.
ensure_profile() ->
    case whereis(?PROFILE_MANAGER) of
        Pid when is_pid(Pid) -> ok;
        undefined -> start_profile()
    end.

%%% Internal

start_profile() ->
    case code:which(httpc) of
        non_existing ->
            {error, no_inets};
        _ ->
            try
                {ok, _} = application:ensure_all_started(inets),
                case inets:start(httpc, [{profile, ?PROFILE}]) of
                    {ok, _} -> httpc:set_options(?HTTPC_OPTIONS, ?PROFILE);
                    {error, {already_started, _}} -> ok;
                    {error, Reason} -> {error, Reason}
                end
            catch
                Class:Error -> {error, {Class, Error}}
            end
    end.

url(#{ingest_url := Base}) ->
    string:trim(Base, trailing, "/") ++ "/v1/commits".

attempt(Body, Url, Config, Deadline, N) ->
    #{request_timeout_ms := RequestTimeout, connect_timeout_ms := ConnectTimeout} = Config,
    %% The first attempt always runs, even on a budget smaller than MIN_ATTEMPT_MS.
    Left = max(Deadline - commitlog_breaker:now_ms(), ?MIN_ATTEMPT_MS),
    Timeout = min(RequestTimeout, Left),
    case classify(request(Body, Url, Config, Timeout, min(ConnectTimeout, Timeout))) of
        {done, Result} ->
            {Result, N};
        {retry, Reason, RetryAfterMs} ->
            Sleep = max(backoff(N), RetryAfterMs),
            case Deadline - commitlog_breaker:now_ms() - Sleep of
                After when After >= ?MIN_ATTEMPT_MS ->
                    timer:sleep(Sleep),
                    attempt(Body, Url, Config, Deadline, N + 1);
                _NoTimeLeft ->
                    {{failed, Reason}, N}
            end
    end.

request(Body, Url, #{secret := Secret}, Timeout, ConnectTimeout) ->
    Signature = commitlog_signature:header(Secret, erlang:system_time(second), Body),
    Request = {Url, [{"x-commitlog-signature", binary_to_list(Signature)}], "application/json", Body},
    HttpOptions = [{timeout, Timeout}, {connect_timeout, ConnectTimeout}, {autoredirect, false}],
    try
        httpc:request(post, Request, HttpOptions, [{body_format, binary}], ?PROFILE)
    catch
        Class:Error -> {error, {Class, Error}}
    end.

classify({ok, {{_Version, 202, _}, _Headers, RespBody}}) ->
    {done, accepted(RespBody)};
classify({ok, {{_Version, Status, _}, Headers, _RespBody}}) when Status =:= 429; Status >= 500 ->
    {retry, status_atom("http_", Status), retry_after_ms(Headers)};
classify({ok, {{_Version, Status, _}, _Headers, RespBody}}) ->
    {done, {rejected, Status, error_code(RespBody)}};
classify({error, timeout}) ->
    {retry, timeout, 0};
classify({error, {failed_connect, _}}) ->
    {retry, connect_failed, 0};
classify({error, socket_closed_remotely}) ->
    {retry, connection_closed, 0};
classify({error, _Other}) ->
    {retry, http_error, 0}.

%% A 202 body is {"id", "lane", "duplicate"}; only the flag matters here.
accepted(RespBody) ->
    case re:run(RespBody, <<"\"duplicate\"\\s*:\\s*true">>, [{capture, none}]) of
        match -> duplicate;
        nomatch -> delivered
    end.

%% The stable code of an error body {"error": {"code": "...", ...}}, for the log.
error_code(RespBody) ->
    case re:run(RespBody, <<"\"code\"\\s*:\\s*\"([^\"\\\\]{1,100})\"">>, [{capture, all_but_first, binary}]) of
        {match, [Code]} -> Code;
        nomatch -> undefined
    end.

%% Retry-After in seconds (the ingest never sends the HTTP-date form), as milliseconds.
retry_after_ms(Headers) ->
    case lists:keyfind("retry-after", 1, Headers) of
        {_, Value} ->
            try list_to_integer(string:trim(Value)) of
                Secs when Secs >= 0 -> Secs * 1000;
                _ -> 0
            catch
                error:badarg -> 0
            end;
        false ->
            0
    end.

%% Full jitter. rand:uniform_s with a fresh seed keeps the seed out of Riak's put-FSM process
%% dictionary, where rand:uniform/1 would store it.
backoff(N) ->
    Cap = ?BACKOFF_BASE_MS bsl min(N - 1, 16),
    {Ms, _} = rand:uniform_s(Cap, rand:seed_s(exrop)),
    Ms.

%% Bounded set of atoms: HTTP statuses are three digits.
status_atom(Prefix, Status) ->
    list_to_atom(Prefix ++ integer_to_list(Status)).
