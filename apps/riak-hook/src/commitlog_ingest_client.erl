%%% commitlog_ingest_client: POST one signed commit to the ingest, with a short bounded retry.
%%%
%%% Inputs:  the commit's JSON body (iodata) and the hook's config (commitlog_hook_config):
%%%          ingest_url, ca_file, secret, connect_timeout_ms, request_timeout_ms, retry_budget_ms.
%%% Output:  target(Config) -> {ok, Target}: where to post (the parsed ingest_url and, for https,
%%%            the CA certificates to verify it with: commitlog_tls:client/1), once per commit
%%%            | {error, Reason, Details}: unsupported_url (ingest_url is not
%%%            http(s)://host[:port][/prefix]), or for https tls_unconfigured or
%%%            ca_file_unreadable (commitlog_tls_ca; Details say what is wrong).
%%%          post(Body, Target, Config), post(Body, Config) (target/1 first) ->
%%%            {Result, Attempts}, Attempts = HTTP requests made (0 when none could be), and
%%%            Result = delivered                  202, a new commit
%%%                   | duplicate                  202 {"duplicate": true}: the ingest had it
%%%                   | {rejected, Status, Code}   a 4xx other than 429 (or another status that
%%%                                                no retry changes), Code from the error body
%%%                                                ({"error": {"code": ...}}) or undefined
%%%                   | {failed, Reason}           the budget is spent or no retry can fit in it;
%%%                                                Reason: http_<status> (the last 429/5xx),
%%%                                                timeout, connect_failed, connection_closed,
%%%                                                http_error (see commitlog_http); or at once,
%%%                                                without a retry, tls_failed (the TLS handshake
%%%                                                failed: a certificate that does not verify is
%%%                                                not fixed by asking again); or one of
%%%                                                target/1's reasons (post/2; no request made).
%%% Errors:  none raised for network or HTTP trouble: every one is a Result.
%%%
%%% Retries: on connection errors, timeouts, 429 and 5xx; exponential back-off with full jitter
%%% (a uniform sleep in [1, min(25 ms * 2^n, what the budget leaves)] ms) while the budget
%%% lasts. Every attempt's timeout (connect, send and the whole response) is cut to what is left
%%% of the budget, so a hand-off takes at most about retry_budget_ms + 10 ms. A Retry-After
%%% (seconds) is honoured: the next attempt waits at least that long, and when it is longer
%%% than what the budget leaves, waiting is pointless: it gives up at once. The ingest sends
%%% Retry-After 1 or 5 with its 503s, so with the default budget a 503 ends the hand-off.
%%%
%%% Transport: commitlog_http (TCP, or TLS for https; kept-alive connections in
%%% commitlog_http_pool). Each attempt sends the request once (a pooled connection that turns
%%% out stale is replaced within the attempt, before anything was answered); nothing is ever
%%% re-sent in the background. A
%%% request the ingest had wholly received before the hook gave up may still be stored (the
%%% ingest finishes a store whose client left), so that commit can be accepted after a newer
%%% one of its key handed off meanwhile, and its failure-log copy is then replayed as a
%%% duplicate (README, "Order is the ingest's order of acceptance").
-module(commitlog_ingest_client).

-export([target/1, post/2, post/3]).

-define(BACKOFF_BASE_MS, 25).
%% Keep in step with the vsn in commitlog_riak_hook.app.src (a test checks it).
-define(USER_AGENT, <<"commitlog-riak-hook/0.1.0">>).
-define(PATH, <<"/v1/commits">>).
%% Not worth starting a request with less time than this left.
-define(MIN_ATTEMPT_MS, 10).

%% refused: the ingest itself refused this commit for now (429/5xx with BACKLOG_FULL, INGEST_BUSY or
%% QUEUE_UNAVAILABLE), at once: it is up.
-type result() ::
    delivered
    | duplicate
    | {rejected, 100..999, binary() | undefined}
    | {refused, atom(), binary()}
    | {failed, atom()}.
-type target() :: #{url := commitlog_http:url(), tls => commitlog_tls:client()}.
-export_type([result/0, target/0]).

-spec target(commitlog_hook_config:config()) ->
    {ok, target()} | {error, unsupported_url | tls_unconfigured | ca_file_unreadable, map()}.
target(#{ingest_url := IngestUrl, ca_file := CaFile}) ->
    case commitlog_http:parse_url(IngestUrl) of
        {ok, #{scheme := http} = Url} ->
            {ok, #{url => Url}};
        {ok, #{scheme := https} = Url} ->
            case commitlog_tls:client(CaFile) of
                {ok, Client} -> {ok, #{url => Url, tls => Client}};
                {error, _Reason, _Details} = Error -> Error
            end;
        {error, unsupported_url} ->
            {error, unsupported_url, #{}}
    end.

-spec post(iodata(), commitlog_hook_config:config()) -> {result(), non_neg_integer()}.
post(Body, Config) ->
    case target(Config) of
        {ok, Target} -> post(Body, Target, Config);
        {error, Reason, _Details} -> {{failed, Reason}, 0}
    end.

-spec post(iodata(), target(), commitlog_hook_config:config()) -> {result(), non_neg_integer()}.
post(Body, Target, #{retry_budget_ms := Budget} = Config) ->
    Deadline = commitlog_breaker:now_ms() + Budget,
    attempt(iolist_to_binary(Body), Target, Config, Deadline, 1).

%%% Internal

attempt(Body, Target, Config, Deadline, N) ->
    #{request_timeout_ms := RequestTimeout, connect_timeout_ms := ConnectTimeout} = Config,
    %% The first attempt always runs, even on a budget smaller than MIN_ATTEMPT_MS.
    Left = max(Deadline - commitlog_breaker:now_ms(), ?MIN_ATTEMPT_MS),
    Timeout = min(RequestTimeout, Left),
    case classify(request(Body, Target, Config, Timeout, min(ConnectTimeout, Timeout))) of
        {done, Result} ->
            {Result, N};
        {retry, Reason, RetryAfterMs, Code} ->
            %% The longest sleep that still leaves room for one more attempt.
            MaxSleep = Deadline - commitlog_breaker:now_ms() - ?MIN_ATTEMPT_MS,
            case MaxSleep >= 1 andalso RetryAfterMs =< MaxSleep of
                true ->
                    timer:sleep(max(RetryAfterMs, backoff(N, MaxSleep))),
                    attempt(Body, Target, Config, Deadline, N + 1);
                false ->
                    {gave_up(Reason, Code, N), N}
            end
    end.

request(Body, #{url := Url} = Target, #{secret := Secret}, Timeout, ConnectTimeout) ->
    %% The OS clock, as the ingest's: Erlang's own system time follows a step of the OS clock
    %% only by slewing (about 1 %) in no_time_warp, the mode the VM starts in unless vm.args
    %% sets +C, so after a step of minutes it would stay past the ingest's replay window for
    %% hours (every commit refused 401).
    Signature = commitlog_signature:header(Secret, os:system_time(second), Body),
    Headers = [
        {<<"Content-Type">>, <<"application/json">>},
        {<<"X-Commitlog-Signature">>, Signature},
        {<<"User-Agent">>, ?USER_AGENT}
    ],
    Options = maps:merge(
        #{timeout => Timeout, connect_timeout => ConnectTimeout}, maps:with([tls], Target)
    ),
    commitlog_http:post(Url, ?PATH, Headers, Body, Options).

classify({ok, 202, _Headers, RespBody}) ->
    {done, accepted(RespBody)};
classify({ok, Status, Headers, RespBody}) when Status =:= 429; Status >= 500 ->
    {retry, status_atom("http_", Status), retry_after_ms(Headers), error_code(RespBody)};
classify({ok, Status, _Headers, RespBody}) ->
    {done, {rejected, Status, error_code(RespBody)}};
classify({error, tls_failed}) ->
    %% A certificate that does not verify (or is not the ingest's) stays so for the next attempt:
    %% each one would cost a handshake and the budget for nothing. The breaker opens for it.
    {done, {failed, tls_failed}};
classify({error, Reason}) ->
    %% timeout, connect_failed, connection_closed or http_error.
    {retry, Reason, 0, undefined}.

%% A 429/5xx with one of the ingest's refusals is its own answer, made at once, about this commit
%% at this moment: BACKLOG_FULL (one lane holds too many waiting commits), INGEST_BUSY (that
%% ingest's body budget is spent for now), QUEUE_UNAVAILABLE (its Redis is away, or unsafe). It is
%% up, and the next commit may well be taken (another lane, Redis back a moment later): refused,
%% which leaves the breaker closed. Opened, the breaker would send every commit of the node to the
%% failure log for its cooldown, to be replayed later, after the newer versions handed off once it
%% closed, for a refusal that cost the put one round trip (with the default budget). Any other 5xx
%% (a proxy's 502 or 503 with no ingest behind it; the ingest's 500 INTERNAL, or a gateway's JSON
%% error, which may answer every commit so) is failed, and opens it: closed, each put would wait
%% out the retry budget.
%% So is an INGEST_BUSY or QUEUE_UNAVAILABLE that outlasted a wait of its Retry-After (a retry
%% budget of a second or more): the ingest, or its Redis, is away for every commit, and with the
%% breaker closed each put would sleep through the whole budget, attempt after attempt, for as
%% long as it lasts. BACKLOG_FULL concerns one lane whatever it lasts.
gave_up(Reason, <<"BACKLOG_FULL">> = Code, _Attempts) ->
    {refused, Reason, Code};
gave_up(Reason, Code, 1) when Code =:= <<"INGEST_BUSY">>; Code =:= <<"QUEUE_UNAVAILABLE">> ->
    {refused, Reason, Code};
gave_up(Reason, _Code, _Attempts) ->
    {failed, Reason}.

%% A 202 body is {"id", "lane", "duplicate"}; only the flag matters here.
accepted(RespBody) ->
    case re:run(RespBody, <<"\"duplicate\"\\s*:\\s*true">>, [{capture, none}]) of
        match -> duplicate;
        nomatch -> delivered
    end.

%% The stable code of an error body {"error": {"code": "...", ...}}, for the log.
error_code(RespBody) ->
    Pattern = <<"\"code\"\\s*:\\s*\"([^\"\\\\]{1,100})\"">>,
    case re:run(RespBody, Pattern, [{capture, all_but_first, binary}]) of
        {match, [Code]} -> Code;
        nomatch -> undefined
    end.

%% Retry-After in seconds (the ingest never sends the HTTP-date form), as milliseconds.
retry_after_ms(Headers) ->
    case lists:keyfind(<<"retry-after">>, 1, Headers) of
        {_, Value} ->
            try binary_to_integer(string:trim(Value)) of
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
backoff(N, MaxSleep) ->
    Cap = min(?BACKOFF_BASE_MS bsl min(N - 1, 16), MaxSleep),
    {Ms, _} = rand:uniform_s(Cap, rand:seed_s(exrop)),
    Ms.

%% Bounded set of atoms: HTTP statuses are three digits.
status_atom(Prefix, Status) ->
    list_to_atom(Prefix ++ integer_to_list(Status)).
