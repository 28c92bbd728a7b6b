%% The hand-off: commitlog_hook against a scripted ingest (commitlog_test_ingest), with the
%% production defaults (500 ms budget, 200/300 ms timeouts) unless a test says otherwise.
-module(commitlog_hook_tests).

-include_lib("eunit/include/eunit.hrl").

-define(APP, commitlog_riak_hook).
-define(SECRET, <<"test-secret">>).
-define(VALUE, <<"{\"card\":\"4111-VALUE-NEVER-LOGGED\"}">>).
-define(KEYS, [
    ingest_url, ca_file, secret, failure_log, connect_timeout_ms, request_timeout_ms,
    retry_budget_ms, breaker_cooldown_ms, log_level, statsd_host, statsd_port, max_body_bytes
]).

%%% Fixture: a scripted ingest, a failure log in a directory of the test's own, the hook's
%%% settings in the application env, a closed breaker, and a logger handler that captures.

handoff_test_() ->
    {foreach, fun setup/0, fun cleanup/1, [
        fun delivered_on_202/1,
        fun duplicate_on_202_with_duplicate_true/1,
        fun retried_after_503_then_delivered/1,
        fun always_503_goes_to_the_failure_log_within_the_budget/1,
        fun retry_after_longer_than_the_budget_stops_at_once/1,
        fun retry_after_1_ends_the_handoff_and_nothing_is_resent_later/1,
        fun retry_after_1_within_the_budget_is_waited_for_once/1,
        fun rejected_400_is_not_retried/1,
        fun breaker_skips_the_ingest_after_a_failure/1,
        fun breaker_open_logs_one_line_a_second_and_keeps_every_commit/1,
        fun refusals_of_every_put_log_one_line_a_second_and_keep_every_commit/1,
        fun a_full_lane_or_a_busy_ingest_leaves_the_breaker_closed/1,
        fun queue_unavailable_leaves_the_breaker_closed_but_a_proxys_503_opens_it/1,
        fun queue_unavailable_past_a_retry_opens_the_breaker/1,
        fun an_ingest_answering_internal_errors_opens_the_breaker/1,
        fun breaker_closes_after_a_successful_probe_and_reopens_after_a_failed_one/1,
        fun half_open_lets_one_probe_through/1,
        fun a_large_probe_that_times_out_lets_the_next_caller_probe/1,
        fun held_breaker_lock_does_not_block_the_handoff/1,
        fun no_secret_goes_to_the_failure_log/1,
        fun unwritable_failure_log_fails_the_postcommit_and_logs_the_identity/1,
        fun a_commit_the_failure_log_cannot_keep_gets_one_try_past_the_open_breaker/1,
        fun signature_verifies/1,
        fun connection_refused_goes_to_the_failure_log/1,
        fun request_timeout_is_retried_then_logged/1,
        fun pretty_printed_json_goes_to_the_failure_log_on_one_line/1,
        fun a_large_commit_timing_out_leaves_the_breaker_closed/1,
        fun a_small_commit_timing_out_opens_the_breaker/1,
        fun statsd_receives_timing_and_outcome/1,
        fun statsd_host_name_is_refused_and_never_looked_up/1,
        fun handoff_times_over_five_seconds_are_held_to_five/1,
        fun logs_never_hold_the_value/1,
        fun two_handoffs_reuse_one_connection/1,
        fun stale_pooled_connection_is_replaced_within_the_attempt/1,
        fun server_closing_idle_connections_costs_no_attempt/1,
        fun closed_before_an_answer_is_retried_on_a_new_connection/1,
        fun silent_server_times_out_within_the_budget/1,
        fun connection_close_response_is_not_reused/1,
        fun unsupported_url_goes_to_the_failure_log/1,
        fun oversized_commit_goes_to_the_failure_log_as_too_large_and_the_breaker_stays_closed/1,
        fun oversized_commit_leaves_an_open_breaker_open/1,
        fun crash_after_the_json_is_built_goes_to_the_failure_log_as_crash/1,
        fun an_object_that_cannot_be_encoded_goes_to_the_failure_log_as_unencodable/1,
        fun an_unencodable_object_the_failure_log_cannot_keep_is_counted_unkept/1,
        fun a_crash_the_failure_log_cannot_keep_is_counted_unkept/1,
        fun a_crash_or_an_unencodable_object_is_counted_failed_in_statsd/1,
        fun an_app_that_cannot_be_loaded_is_reported/1,
        fun an_unwritable_failure_log_is_reported/1,
        fun an_unusable_secret_is_reported/1,
        fun the_first_commit_reports_a_secret_that_is_not_text/1,
        fun a_set_up_check_that_raises_is_reported_once_without_its_reason/1
    ]}.

setup() ->
    {Server, Port} = commitlog_test_ingest:start(),
    Dir = filename:join(
        "/tmp", "commitlog-hook-test-" ++ integer_to_list(erlang:unique_integer([positive]))
    ),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Log = filename:join(Dir, "failed.jsonl"),
    [application:unset_env(?APP, K) || K <- ?KEYS],
    ok = application:set_env(?APP, ingest_url, "http://127.0.0.1:" ++ integer_to_list(Port)),
    ok = application:set_env(?APP, secret, ?SECRET),
    ok = application:set_env(?APP, failure_log, Log),
    %% Long enough that no test sees the breaker close by itself unless it asks to.
    ok = application:set_env(?APP, breaker_cooldown_ms, 60000),
    ok = commitlog_hook:reset_breaker(),
    %% Each test's first line of a kind is logged, whatever an earlier test logged just before.
    [persistent_term:erase(K) || {K = {commitlog_log_throttle, _}, _} <- persistent_term:get()],
    Capture = commitlog_test_capture:start(),
    #{
        server => Server, port => Port, dir => Dir, log => Log, capture => Capture
    }.

cleanup(#{server := Server, dir := Dir, capture := Capture}) ->
    ok = commitlog_test_capture:stop(Capture),
    ok = commitlog_test_ingest:stop(Server),
    [application:unset_env(?APP, K) || K <- ?KEYS],
    ok = commitlog_hook:reset_breaker(),
    _ = [file:delete(F) || F <- filelib:wildcard(filename:join(Dir, "*"))],
    _ = file:del_dir(Dir),
    ok.

%%% Helpers

obj(Key) ->
    MD = dict:from_list([
        {<<"content-type">>, "application/json"},
        {<<"X-Riak-VTag">>, "vtag-1"},
        {<<"X-Riak-Last-Modified">>, {1764, 0, 42}},
        {<<"X-Riak-Meta">>, [{"X-Riak-Meta-Origin", "api"}]}
    ]),
    O = riak_object:new(<<"transactions">>, Key, ?VALUE, MD),
    riak_object:increment_vclock(O, <<"node-a">>, 63900000000).

failure_lines(#{log := Log}) ->
    case file:read_file(Log) of
        {ok, Bin} ->
            Lines = binary:split(Bin, <<"\n">>, [global, trim_all]),
            %% Every line ends with a newline: nothing is left after the last one.
            ?assertEqual($\n, binary:last(Bin)),
            [commitlog_test_json:decode(L) || L <- Lines];
        {error, enoent} ->
            []
    end.

raw_failure_log(#{log := Log}) ->
    {ok, Bin} = file:read_file(Log),
    Bin.

logged(#{capture := Capture}) ->
    commitlog_test_capture:logged(Capture).

handoff_reports(Ctx) ->
    [Msg || #{msg := {report, Msg = #{what := commitlog_handoff}}} <- logged(Ctx)].

deadline(Ms) -> commitlog_test_wait:deadline(Ms).

%%% Tests

delivered_on_202(#{server := S} = Ctx) ->
    ?_test(begin
        Obj = obj(<<"k-delivered">>),
        ?assertMatch({delivered, Micros} when is_integer(Micros), commitlog_hook:handoff(Obj)),
        [Req] = commitlog_test_ingest:requests(S),
        ?assertMatch(#{method := 'POST', path := <<"/v1/commits">>}, Req),
        ?assertEqual(commitlog_hook:commit_json(Obj), maps:get(body, Req)),
        Headers = maps:get(headers, Req),
        ?assertEqual(<<"application/json">>, proplists:get_value(<<"content-type">>, Headers)),
        ?assert(proplists:is_defined(<<"x-commitlog-signature">>, Headers)),
        Port = integer_to_binary(maps:get(port, Ctx)),
        ?assertEqual(<<"127.0.0.1:", Port/binary>>, proplists:get_value(<<"host">>, Headers)),
        ?assertEqual(
            integer_to_binary(byte_size(maps:get(body, Req))),
            proplists:get_value(<<"content-length">>, Headers)
        ),
        ?assertEqual(<<"keep-alive">>, proplists:get_value(<<"connection">>, Headers)),
        ok = case application:load(?APP) of
            ok -> ok;
            {error, {already_loaded, ?APP}} -> ok
        end,
        {ok, Vsn} = application:get_key(?APP, vsn),
        ?assertEqual(
            iolist_to_binary(["commitlog-riak-hook/", Vsn]),
            proplists:get_value(<<"user-agent">>, Headers)
        ),
        ?assertMatch(
            [
                #{
                    outcome := delivered,
                    attempts := 1,
                    bucket := <<"transactions">>,
                    key := <<"k-delivered">>
                }
            ],
            handoff_reports(Ctx)
        )
    end).

duplicate_on_202_with_duplicate_true(#{server := S}) ->
    ?_test(begin
        Body = <<"{\"id\":\"x\",\"lane\":3,\"duplicate\":true}">>,
        ok = commitlog_test_ingest:set_responses(S, [{202, [], Body}]),
        ?assertMatch({duplicate, _}, commitlog_hook:handoff(obj(<<"k-dup">>)))
    end).

retried_after_503_then_delivered(#{server := S} = Ctx) ->
    ?_test(begin
        %% Time for the second attempt whatever the machine's load: the test is about the retry.
        ok = application:set_env(?APP, request_timeout_ms, 5000),
        ok = application:set_env(?APP, retry_budget_ms, 5000),
        ok = commitlog_test_ingest:set_responses(S, [503, 202]),
        ?assertEqual(ok, commitlog_hook:postcommit(obj(<<"k-retry">>))),
        ?assertEqual(2, commitlog_test_ingest:count(S)),
        ?assertEqual([], failure_lines(Ctx)),
        ?assertMatch([#{outcome := delivered, attempts := 2}], handoff_reports(Ctx))
    end).

always_503_goes_to_the_failure_log_within_the_budget(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(S, [503]),
        Obj = obj(<<"k-down">>),
        %% The call returns (with the default 500 ms budget; no wall-clock assertion here).
        ?assertMatch({failed, _}, commitlog_hook:handoff(Obj)),
        ?assert(commitlog_test_ingest:count(S) >= 2),
        [Line] = failure_lines(Ctx),
        ?assertEqual(<<"http_503">>, maps:get(<<"reason">>, Line)),
        Iso = <<"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$">>,
        ?assertMatch({match, _}, re:run(maps:get(<<"failedAt">>, Line), Iso)),
        ?assertEqual(<<"k-down">>, maps:get(<<"key">>, maps:get(<<"commit">>, Line))),
        %% The line holds the exact bytes that were posted.
        Posted = commitlog_hook:commit_json(Obj),
        ?assertEqual(
            <<"{\"failedAt\":\"", (maps:get(<<"failedAt">>, Line))/binary,
                "\",\"reason\":\"http_503\",\"commit\":", Posted/binary, "}\n">>,
            raw_failure_log(Ctx)
        ),
        ?assertMatch([#{outcome := failed, reason := http_503}], handoff_reports(Ctx))
    end).

retry_after_longer_than_the_budget_stops_at_once(#{server := S} = Ctx) ->
    ?_test(begin
        RetryAfter = [{<<"retry-after">>, <<"120">>}],
        ok = commitlog_test_ingest:set_responses(S, [{503, RetryAfter, <<>>}]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-ra">>))),
        ?assertEqual(1, commitlog_test_ingest:count(S)),
        ?assertMatch([#{<<"reason">> := <<"http_503">>}], failure_lines(Ctx))
    end).

%% The ingest's 503s carry Retry-After 1 or 5. The hook gets the 503 (OTP's httpc kept such a
%% 503 to itself and re-sent the request in the background, again and again, even after the
%% caller had given up, so an older commit could be accepted after a newer one of its key).
%% Exactly the requests the hook counted reach the ingest, then nothing more: the wait after
%% the call is a correctness check (no background re-send), not a performance threshold.
retry_after_1_ends_the_handoff_and_nothing_is_resent_later(#{server := S} = Ctx) ->
    {timeout, 30,
        ?_test(begin
            RetryAfter = [{<<"retry-after">>, <<"1">>}],
            ok = commitlog_test_ingest:set_responses(S, [{503, RetryAfter, <<>>}]),
            %% 1 s is more than the default 500 ms budget leaves: one request, then the log.
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-ra1">>))),
            [#{attempts := Attempts, reason := http_503}] = handoff_reports(Ctx),
            ?assertEqual(1, Attempts),
            ?assertEqual(Attempts, commitlog_test_ingest:count(S)),
            ?assertMatch([#{<<"reason">> := <<"http_503">>}], failure_lines(Ctx)),
            timer:sleep(1500),
            ?assertEqual(Attempts, commitlog_test_ingest:count(S))
        end)}.

%% With a budget that has room for it, the hook itself waits out Retry-After, once.
retry_after_1_within_the_budget_is_waited_for_once(#{server := S} = Ctx) ->
    {timeout, 30,
        ?_test(begin
            ok = application:set_env(?APP, retry_budget_ms, 2500),
            RetryAfter = [{<<"retry-after">>, <<"1">>}],
            ok = commitlog_test_ingest:set_responses(S, [{503, RetryAfter, <<>>}, 202]),
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-ra1-wait">>))),
            ?assertMatch([#{attempts := 2}], handoff_reports(Ctx)),
            [#{at := First}, #{at := Second}] = commitlog_test_ingest:requests(S),
            ?assert(Second - First >= 1000),
            timer:sleep(1500),
            ?assertEqual(2, commitlog_test_ingest:count(S)),
            ?assertEqual([], failure_lines(Ctx))
        end)}.

rejected_400_is_not_retried(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(S, [400]),
        ?assertMatch({rejected, _}, commitlog_hook:handoff(obj(<<"k-bad">>))),
        ?assertEqual(1, commitlog_test_ingest:count(S)),
        ?assertMatch([#{<<"reason">> := <<"rejected_400">>}], failure_lines(Ctx)),
        Events = logged(Ctx),
        ?assertMatch(
            [
                #{
                    level := error,
                    msg := {report, #{outcome := rejected, status := 400, code := <<"TEST_400">>}}
                }
            ],
            [E || E = #{msg := {report, #{what := commitlog_handoff}}} <- Events]
        ),
        %% A rejection proves the ingest is up: the breaker stays closed.
        ok = commitlog_test_ingest:set_responses(S, [202]),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-next">>)))
    end).

breaker_skips_the_ingest_after_a_failure(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(S, [503]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-1">>))),
        Count = commitlog_test_ingest:count(S),
        ok = commitlog_test_ingest:set_responses(S, [202]),
        ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-2">>))),
        ?assertEqual(ok, commitlog_hook:postcommit(obj(<<"k-3">>))),
        ?assertEqual(Count, commitlog_test_ingest:count(S)),
        [_, Second, Third] = failure_lines(Ctx),
        ?assertMatch(
            #{<<"reason">> := <<"breaker_open">>, <<"commit">> := #{<<"key">> := <<"k-2">>}}, Second
        ),
        ?assertMatch(
            #{<<"reason">> := <<"breaker_open">>, <<"commit">> := #{<<"key">> := <<"k-3">>}}, Third
        )
    end).

breaker_open_logs_one_line_a_second_and_keeps_every_commit(#{server := S} = Ctx) ->
    {timeout, 30,
        ?_test(begin
            ok = commitlog_test_ingest:set_responses(S, [503]),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-0">>))),
            %% Past the interval since any breaker_open line an earlier test made.
            timer:sleep(1100),
            _ = logged(Ctx),
            Started = erlang:monotonic_time(millisecond),
            Keys = [<<"k-open-", (integer_to_binary(N))/binary>> || N <- lists:seq(1, 20)],
            [?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(K))) || K <- Keys],
            Elapsed = erlang:monotonic_time(millisecond) - Started,
            Lines = [R || R = #{outcome := breaker_open} <- handoff_reports(Ctx)],
            %% The first is said, then at most one a second, each saying how many it stands for.
            ?assertMatch([#{also_since_last_line := _} | _], Lines),
            ?assert(length(Lines) =< 1 + Elapsed div 1000),
            %% Every commit is in the failure log all the same.
            Open = [K || #{<<"reason">> := <<"breaker_open">>, <<"commit">> := #{<<"key">> := K}} <- failure_lines(Ctx)],
            ?assertEqual(Keys, Open)
        end)}.

%% A node whose clock is past the signature's window: every request refused with 401, the ingest
%% up (the breaker stays closed), so every put meets it. One line a second per reason, each
%% saying how many it stands for; a refusal of another kind is said at once.
refusals_of_every_put_log_one_line_a_second_and_keep_every_commit(#{server := S} = Ctx) ->
    {timeout, 30,
        ?_test(begin
            Refused = {401, [], <<"{\"error\":{\"code\":\"BAD_SIGNATURE\",\"message\":\"no\"}}">>},
            ok = commitlog_test_ingest:set_responses(S, [Refused]),
            Started = erlang:monotonic_time(millisecond),
            Keys = [<<"k-401-", (integer_to_binary(N))/binary>> || N <- lists:seq(1, 20)],
            [?assertMatch({rejected, _}, commitlog_hook:handoff(obj(K))) || K <- Keys],
            Elapsed = erlang:monotonic_time(millisecond) - Started,
            ok = commitlog_test_ingest:set_responses(S, [{400, [], <<>>}]),
            ?assertMatch({rejected, _}, commitlog_hook:handoff(obj(<<"k-400">>))),
            Lines = [R || R = #{outcome := rejected} <- handoff_reports(Ctx)],
            {Of401, Of400} = lists:partition(fun(#{reason := R}) -> R =:= rejected_401 end, Lines),
            ?assertMatch([#{also_since_last_line := 0, key := <<"k-401-1">>} | _], Of401),
            ?assert(length(Of401) =< 1 + Elapsed div 1000),
            ?assertMatch([#{key := <<"k-400">>}], Of400),
            %% Every commit is in the failure log all the same.
            Kept = [K || #{<<"commit">> := #{<<"key">> := K}} <- failure_lines(Ctx)],
            ?assertEqual(Keys ++ [<<"k-400">>], Kept)
        end)}.

%% The ingest's own 503 bodies, with the Retry-After it sends (more than the 500 ms budget).
ingest_503(Code, RetryAfter) ->
    {503, [{<<"retry-after">>, RetryAfter}, {<<"content-type">>, <<"application/json">>}],
        <<"{\"error\":{\"code\":\"", Code/binary, "\",\"message\":\"refused\"}}">>}.

%% BACKLOG_FULL concerns one lane, INGEST_BUSY one ingest's body budget: the commit goes to the
%% failure log, and the next commit (another lane, another moment) is still sent, not diverted
%% by an open breaker.
a_full_lane_or_a_busy_ingest_leaves_the_breaker_closed(#{server := S} = Ctx) ->
    ?_test(begin
        lists:foreach(
            fun({Code, Key}) ->
                ok = commitlog_test_ingest:set_responses(S, [ingest_503(Code, <<"5">>), 202]),
                ?assertMatch({failed, _}, commitlog_hook:handoff(obj(Key))),
                ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<Key/binary, "-next">>)))
            end,
            [{<<"BACKLOG_FULL">>, <<"k-full">>}, {<<"INGEST_BUSY">>, <<"k-busy">>}]
        ),
        ?assertEqual(4, commitlog_test_ingest:count(S)),
        ?assertMatch(
            [
                #{<<"reason">> := <<"http_503">>, <<"commit">> := #{<<"key">> := <<"k-full">>}},
                #{<<"reason">> := <<"http_503">>, <<"commit">> := #{<<"key">> := <<"k-busy">>}}
            ],
            failure_lines(Ctx)
        ),
        %% The second refusal, within a second of the first, is counted by the next line of
        %% its kind (commitlog_hook_log), not said on its own.
        ?assertMatch(
            [
                #{outcome := failed, reason := http_503, code := <<"BACKLOG_FULL">>},
                #{outcome := delivered},
                #{outcome := delivered}
            ],
            handoff_reports(Ctx)
        )
    end).

%% Redis away: the ingest itself answers, at once, so the breaker stays closed and the next
%% commit is sent: Redis back a moment later takes it, where an open breaker would have sent the
%% node's commits to the failure log for its cooldown. A proxy's 503 without the ingest's error
%% body (no ingest behind it) opens it.
queue_unavailable_leaves_the_breaker_closed_but_a_proxys_503_opens_it(#{server := S} = Ctx) ->
    ?_test(begin
        Down = ingest_503(<<"QUEUE_UNAVAILABLE">>, <<"1">>),
        ok = commitlog_test_ingest:set_responses(S, [Down, 202]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-q1">>))),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-q2">>))),
        ?assertEqual(2, commitlog_test_ingest:count(S)),
        Proxy = {503, [{<<"content-type">>, <<"text/html">>}], <<"<html>no upstream</html>">>},
        ok = commitlog_test_ingest:set_responses(S, [Proxy]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-q3">>))),
        ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-q4">>))),
        ?assertMatch(
            [
                #{<<"reason">> := <<"http_503">>, <<"commit">> := #{<<"key">> := <<"k-q1">>}},
                #{<<"reason">> := <<"http_503">>, <<"commit">> := #{<<"key">> := <<"k-q3">>}},
                #{<<"reason">> := <<"breaker_open">>, <<"commit">> := #{<<"key">> := <<"k-q4">>}}
            ],
            failure_lines(Ctx)
        )
    end).

%% Redis away past a wait of the ingest's Retry-After (a budget of a second or more): away for
%% every commit, so the breaker opens, rather than have each put sleep through its budget.
queue_unavailable_past_a_retry_opens_the_breaker(#{server := S} = Ctx) ->
    {timeout, 30,
        ?_test(begin
            ok = application:set_env(?APP, retry_budget_ms, 1500),
            Down = ingest_503(<<"QUEUE_UNAVAILABLE">>, <<"1">>),
            ok = commitlog_test_ingest:set_responses(S, [Down, Down]),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-qa">>))),
            ?assertEqual(2, commitlog_test_ingest:count(S)),
            ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-qb">>))),
            ?assertMatch(
                [
                    #{<<"reason">> := <<"http_503">>, <<"commit">> := #{<<"key">> := <<"k-qa">>}},
                    #{<<"reason">> := <<"breaker_open">>, <<"commit">> := #{<<"key">> := <<"k-qb">>}}
                ],
                failure_lines(Ctx)
            )
        end)}.

%% An ingest that answers every commit 500 INTERNAL (a fault of its own, or a gateway with a JSON
%% error body) is down for the hook: only the three refusals that concern one commit at one moment
%% leave the breaker closed. Closed, every put would wait out the retry budget (ten requests each)
%% for as long as it lasts.
an_ingest_answering_internal_errors_opens_the_breaker(#{server := S} = Ctx) ->
    ?_test(begin
        Internal =
            {500, [{<<"content-type">>, <<"application/json">>}],
                <<"{\"error\":{\"code\":\"INTERNAL\",\"message\":\"internal error\"}}">>},
        ok = commitlog_test_ingest:set_responses(S, [Internal]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-i1">>))),
        Sent = commitlog_test_ingest:count(S),
        ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-i2">>))),
        ?assertEqual(Sent, commitlog_test_ingest:count(S)),
        ?assertMatch(
            [
                #{<<"reason">> := <<"http_500">>, <<"commit">> := #{<<"key">> := <<"k-i1">>}},
                #{<<"reason">> := <<"breaker_open">>, <<"commit">> := #{<<"key">> := <<"k-i2">>}}
            ],
            failure_lines(Ctx)
        )
    end).

breaker_closes_after_a_successful_probe_and_reopens_after_a_failed_one(#{server := S}) ->
    {timeout, 30,
        ?_test(begin
            ok = application:set_env(?APP, breaker_cooldown_ms, 100),
            ok = commitlog_test_ingest:set_responses(S, [503]),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-a">>))),
            %% After the cool-down, a probe reaches the (recovered) ingest and closes the breaker.
            ok = commitlog_test_ingest:set_responses(S, [202]),
            Outcomes = commitlog_test_wait:until(
                fun() ->
                    case commitlog_hook:handoff(obj(<<"k-poll">>)) of
                        {delivered, _} -> {true, delivered};
                        {breaker_open, _} -> false
                    end
                end,
                deadline(10000)
            ),
            ?assertEqual(delivered, Outcomes),
            Count = commitlog_test_ingest:count(S),
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-b">>))),
            ?assertEqual(Count + 1, commitlog_test_ingest:count(S)),
            %% A failed probe opens it again, for a full cool-down (60 s now: no race with it).
            ok = commitlog_test_ingest:set_responses(S, [503]),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-c">>))),
            ok = application:set_env(?APP, breaker_cooldown_ms, 60000),
            ok = commitlog_test_wait:until(
                fun() ->
                    case commitlog_hook:handoff(obj(<<"k-probe">>)) of
                        {failed, _} -> {true, ok};
                        {breaker_open, _} -> false
                    end
                end,
                deadline(10000)
            ),
            After = commitlog_test_ingest:count(S),
            ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-d">>))),
            ?assertEqual(After, commitlog_test_ingest:count(S))
        end)}.

half_open_lets_one_probe_through(#{server := S}) ->
    {timeout, 30,
        ?_test(begin
            ok = application:set_env(?APP, breaker_cooldown_ms, 50),
            ok = commitlog_test_ingest:set_responses(S, [503]),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-open">>))),
            timer:sleep(100),
            %% The probe's answer must fit its deadline on a loaded machine too.
            ok = application:set_env(?APP, request_timeout_ms, 5000),
            ok = application:set_env(?APP, retry_budget_ms, 5000),
            %% The ingest is slow now: the probe is still in flight while the others arrive. Two
            %% seconds, not less: on a loaded machine a hand-off spawned last was scheduled only
            %% after a 150 ms probe had closed the breaker, and was delivered too.
            ok = commitlog_test_ingest:set_responses(S, [202]),
            ok = commitlog_test_ingest:set_delay(S, 2000),
            Self = self(),
            Pids = [
                spawn(fun() -> Self ! {self(), commitlog_hook:handoff(obj(<<"k-hop">>))} end)
             || _ <- lists:seq(1, 5)
            ],
            Outcomes = [
                receive {P, {Outcome, _}} -> Outcome after 5000 -> timeout end
             || P <- Pids
            ],
            ?assertEqual(
                [breaker_open, breaker_open, breaker_open, breaker_open, delivered],
                lists:sort(Outcomes)
            )
        end)}.

%% A probe whose body is over 1 MiB and times out proves nothing about the ingest: the breaker
%% stays half-open, and the next hand-off probes at once instead of going to the failure log
%% until the probe timeout (here 1.3 s and more) has passed.
a_large_probe_that_times_out_lets_the_next_caller_probe(#{server := S}) ->
    {timeout, 30,
        ?_test(begin
            ok = application:set_env(?APP, breaker_cooldown_ms, 50),
            ok = commitlog_test_ingest:set_responses(S, [503]),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-open">>))),
            timer:sleep(100),
            ok = application:set_env(?APP, request_timeout_ms, 100),
            ok = application:set_env(?APP, retry_budget_ms, 200),
            ok = commitlog_test_ingest:set_responses(S, [202]),
            ok = commitlog_test_ingest:set_delay(S, 2000),
            Big = riak_object:increment_vclock(
                riak_object:new(<<"transactions">>, <<"k-big">>, binary:copy(<<"x">>, 1100000)),
                <<"node-a">>,
                1
            ),
            ?assertMatch({failed, _}, commitlog_hook:handoff(Big)),
            ok = commitlog_test_ingest:set_delay(S, 0),
            ok = application:set_env(?APP, request_timeout_ms, 5000),
            ok = application:set_env(?APP, retry_budget_ms, 5000),
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-after-big">>)))
        end)}.

%% The VM has no breaker yet and something holds the lock its creation takes: the hand-off does
%% not wait for the lock, it calls the ingest (a new breaker is closed anyway) and the commit is
%% delivered. Once the lock is free, the next hand-off creates the shared breaker.
held_breaker_lock_does_not_block_the_handoff(#{server := S} = Ctx) ->
    {timeout, 30,
        ?_test(begin
            Key = {commitlog_breaker, atomics},
            Self = self(),
            Holder = spawn(fun() ->
                true = register(commitlog_breaker_creating, self()),
                Self ! {self(), locked},
                receive release -> ok end,
                true = unregister(commitlog_breaker_creating),
                Self ! {self(), released}
            end),
            receive {Holder, locked} -> ok after 5000 -> erlang:error(no_lock) end,
            _ = persistent_term:erase(Key),
            Caller = spawn(fun() -> Self ! {self(), commitlog_hook:handoff(obj(<<"k-lock">>))} end),
            try
                ?assertMatch(
                    {delivered, _}, receive {Caller, Result} -> Result after 5000 -> blocked end
                ),
                ?assertEqual(1, commitlog_test_ingest:count(S)),
                ?assertEqual([], failure_lines(Ctx)),
                %% That call's breaker was its own: none was left for the others to share.
                ?assertEqual(undefined, persistent_term:get(Key, undefined))
            after
                exit(Caller, kill),
                Holder ! release,
                receive {Holder, released} -> ok after 5000 -> exit(Holder, kill) end
            end,
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-lock-2">>))),
            ?assertNotEqual(undefined, persistent_term:get(Key, undefined))
        end)}.

no_secret_goes_to_the_failure_log(#{server := S} = Ctx) ->
    ?_test(begin
        ok = application:unset_env(?APP, secret),
        Saved = os:getenv("COMMITLOG_SECRET"),
        true = os:unsetenv("COMMITLOG_SECRET"),
        try
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-nosecret">>))),
            ?assertEqual(0, commitlog_test_ingest:count(S)),
            ?assertMatch([#{<<"reason">> := <<"no_secret">>}], failure_lines(Ctx)),
            ?assertMatch(
                [#{level := error, msg := {report, #{outcome := failed, reason := no_secret}}}],
                [E || E = #{msg := {report, #{what := commitlog_handoff}}} <- logged(Ctx)]
            )
        after
            Saved =/= false andalso os:putenv("COMMITLOG_SECRET", Saved)
        end
    end).

%% Returned as {fail, unkept}, which Riak counts in postcommit_fail (in memory: no disk needed).
unwritable_failure_log_fails_the_postcommit_and_logs_the_identity(#{server := S, dir := Dir} = Ctx) ->
    ?_test(begin
        Unwritable = filename:join([Dir, "no-such-dir", "failed.jsonl"]),
        ok = application:set_env(?APP, failure_log, Unwritable),
        ok = commitlog_test_ingest:set_responses(S, [503]),
        Obj = obj(<<"k-nolog">>),
        ?assertEqual({fail, unkept}, commitlog_hook:postcommit(Obj)),
        Reports = [
            R
         || #{level := error, msg := {report, R = #{what := commitlog_failure_log_write_failed}}} <-
                logged(Ctx)
        ],
        VClock = base64:encode(riak_object:encode_vclock(riak_object:vclock(Obj))),
        ?assertMatch(
            [#{key := <<"k-nolog">>, bucket := <<"transactions">>, reason := http_503}], Reports
        ),
        ?assertEqual(VClock, maps:get(vclock, hd(Reports))),
        %% Counted where no disk is needed: a full disk may stop the log line above too.
        {ok, Udp} = gen_udp:open(0, [binary, {ip, {127, 0, 0, 1}}, {active, false}]),
        {ok, Port} = inet:port(Udp),
        try
            ok = application:set_env(?APP, statsd_host, "127.0.0.1"),
            ok = application:set_env(?APP, statsd_port, Port),
            ?assertEqual({fail, unkept}, commitlog_hook:postcommit(obj(<<"k-nolog-2">>))),
            Packets = [
                begin
                    {ok, {_, _, P}} = gen_udp:recv(Udp, 0, 5000),
                    P
                end
             || _ <- [timing, outcome, unkept]
            ],
            %% Beside the hand-off's timing and outcome (breaker_open: the 503 above opened it).
            ?assert(lists:member(<<"commitlog.hook.unkept:1|c">>, Packets)),
            ?assert(lists:member(<<"commitlog.hook.breaker_open:1|c">>, Packets))
        after
            gen_udp:close(Udp)
        end
    end).

%% The breaker opened by an ingest that failed moments ago, the failure log unwritable (a full
%% disk): the commit is sent all the same, once, and delivered if the ingest is back.
a_commit_the_failure_log_cannot_keep_gets_one_try_past_the_open_breaker(
    #{server := S, dir := Dir} = Ctx
) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(S, [503]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-opened">>))),
        ok = application:set_env(?APP, failure_log, filename:join([Dir, "gone", "failed.jsonl"])),
        ok = commitlog_test_ingest:set_responses(S, [202]),
        Count = commitlog_test_ingest:count(S),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-last-chance">>))),
        ?assertEqual(Count + 1, commitlog_test_ingest:count(S)),
        Logged = logged(Ctx),
        %% Said at warning (the log_level of deliveries is debug), with why the log failed.
        ?assertMatch(
            [
                #{
                    level := warning,
                    msg :=
                        {report, #{
                            outcome := delivered,
                            past_open_breaker := true,
                            file_error := enoent,
                            key := <<"k-last-chance">>
                        }}
                }
            ],
            [E || E = #{msg := {report, #{what := commitlog_handoff, outcome := delivered}}} <- Logged]
        ),
        %% Handed off after all: no line tells an operator to replay it from Riak.
        ?assertEqual(
            [],
            [R || #{msg := {report, R = #{what := commitlog_failure_log_write_failed}}} <- Logged]
        ),
        %% The breaker is still open for a commit the failure log can keep.
        ok = application:set_env(?APP, failure_log, maps:get(log, Ctx)),
        ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-kept">>))),
        ?assertEqual(Count + 1, commitlog_test_ingest:count(S))
    end).

signature_verifies(#{server := S}) ->
    ?_test(begin
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-sig">>))),
        [#{headers := Headers, body := Body}] = commitlog_test_ingest:requests(S),
        Header = proplists:get_value(<<"x-commitlog-signature">>, Headers),
        Pattern = <<"^t=(\\d+),v1=([0-9a-f]{64})$">>,
        {match, [T, V1]} = re:run(Header, Pattern, [{capture, all_but_first, binary}]),
        ?assertEqual(V1, commitlog_signature:hmac_hex(?SECRET, [T, ".", Body])),
        ?assert(abs(binary_to_integer(T) - erlang:system_time(second)) < 60)
    end).

connection_refused_goes_to_the_failure_log(Ctx) ->
    ?_test(begin
        %% A port that was free a moment ago: nothing listens there.
        {ok, L} = gen_tcp:listen(0, [{ip, {127, 0, 0, 1}}]),
        {ok, Port} = inet:port(L),
        ok = gen_tcp:close(L),
        Url = "http://127.0.0.1:" ++ integer_to_list(Port) ++ "/",
        ok = application:set_env(?APP, ingest_url, Url),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-refused">>))),
        ?assertMatch([#{<<"reason">> := <<"connect_failed">>}], failure_lines(Ctx))
    end).

request_timeout_is_retried_then_logged(#{server := S} = Ctx) ->
    ?_test(begin
        %% Room for several 50 ms attempts, however late a loaded machine ends each.
        ok = application:set_env(?APP, request_timeout_ms, 50),
        ok = application:set_env(?APP, retry_budget_ms, 2000),
        ok = commitlog_test_ingest:set_delay(S, 5000),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-slow">>))),
        ?assertMatch([#{<<"reason">> := <<"timeout">>}], failure_lines(Ctx)),
        [#{attempts := Attempts}] = handoff_reports(Ctx),
        ?assert(Attempts >= 2)
    end).

%% handoff_json/3 takes JSON as a tool gives it: pretty-printed, it still makes one log line.
pretty_printed_json_goes_to_the_failure_log_on_one_line(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(S, [400]),
        Json = <<"{\n  \"bucket\": \"b\",\r\n  \"key\": \"k\\nl\"\n}\n">>,
        ?assertMatch({rejected, _}, commitlog_hook:handoff_json(Json, <<"b">>, <<"k">>)),
        ?assertMatch(
            [#{<<"commit">> := #{<<"bucket">> := <<"b">>, <<"key">> := <<"k\nl">>}}],
            failure_lines(Ctx)
        )
    end).

%% A commit of over a MiB that times out goes to the failure log, but says little about the
%% ingest (such a body may just not cross in time): the next commit is still posted.
a_large_commit_timing_out_leaves_the_breaker_closed(#{server := S} = Ctx) ->
    ?_test(begin
        ok = application:set_env(?APP, request_timeout_ms, 50),
        ok = application:set_env(?APP, retry_budget_ms, 120),
        ok = commitlog_test_ingest:set_responses(S, [no_answer]),
        Big = riak_object:increment_vclock(
            riak_object:new(<<"transactions">>, <<"k-big-slow">>, binary:copy(<<"x">>, 1100000)),
            <<"node-a">>,
            63900000000
        ),
        ?assertMatch({failed, _}, commitlog_hook:handoff(Big)),
        ?assertMatch([#{<<"reason">> := <<"timeout">>}], failure_lines(Ctx)),
        ok = commitlog_test_ingest:set_responses(S, [202]),
        %% Room for a loaded machine's round trip: the breaker, not the clock, is under test.
        ok = application:set_env(?APP, request_timeout_ms, 5000),
        ok = application:set_env(?APP, retry_budget_ms, 5000),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-after-big">>)))
    end).

%% The same timeout on an ordinary commit is the ingest's trouble: the breaker opens.
a_small_commit_timing_out_opens_the_breaker(#{server := S}) ->
    ?_test(begin
        ok = application:set_env(?APP, request_timeout_ms, 50),
        ok = application:set_env(?APP, retry_budget_ms, 120),
        ok = commitlog_test_ingest:set_responses(S, [no_answer]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-small-slow">>))),
        ok = commitlog_test_ingest:set_responses(S, [202]),
        ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-after-small">>)))
    end).

statsd_receives_timing_and_outcome(_Ctx) ->
    ?_test(begin
        {ok, Udp} = gen_udp:open(0, [binary, {ip, {127, 0, 0, 1}}, {active, false}]),
        {ok, Port} = inet:port(Udp),
        try
            ok = application:set_env(?APP, statsd_host, "127.0.0.1"),
            ok = application:set_env(?APP, statsd_port, Port),
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-statsd">>))),
            {ok, {_, _, Timing}} = gen_udp:recv(Udp, 0, 5000),
            {ok, {_, _, Counter}} = gen_udp:recv(Udp, 0, 5000),
            TimingFormat = <<"^commitlog\\.hook\\.handoff:\\d+\\.\\d{3}\\|ms$">>,
            ?assertMatch({match, _}, re:run(Timing, TimingFormat)),
            ?assertEqual(<<"commitlog.hook.delivered:1|c">>, Counter)
        after
            gen_udp:close(Udp)
        end
    end).

%% The hook holds one of Riak's put slots for as long as a hand-off may take: a budget of many
%% seconds is held to 5 s, with a warning naming the setting; 5 s itself is taken as it is.
handoff_times_over_five_seconds_are_held_to_five(Ctx) ->
    ?_test(begin
        ok = application:set_env(?APP, retry_budget_ms, 30000),
        ok = application:set_env(?APP, request_timeout_ms, "60000"),
        ok = application:set_env(?APP, connect_timeout_ms, 5000),
        ?assertMatch(
            #{retry_budget_ms := 5000, request_timeout_ms := 5000, connect_timeout_ms := 5000},
            commitlog_hook_config:read()
        ),
        Warnings = [R || #{level := warning, msg := {report, R}} <- logged(Ctx)],
        ?assertMatch(
            [
                #{what := commitlog_hook_config_capped, key := request_timeout_ms, value := 60000},
                #{what := commitlog_hook_config_capped, key := retry_budget_ms, value := 30000}
            ],
            lists:sort(Warnings)
        ),
        %% Read again, as every commit does: said once, not once per commit.
        _ = commitlog_hook_config:read(),
        ?assertEqual([], [R || #{level := warning, msg := {report, R}} <- logged(Ctx)]),
        %% A body past what the ingest drains when it refuses one is held to that, 32 MiB.
        ok = application:set_env(?APP, max_body_bytes, 50000000),
        ?assertMatch(#{max_body_bytes := 33554432}, commitlog_hook_config:read()),
        ?assertMatch(
            [#{what := commitlog_hook_config_capped, key := max_body_bytes, value := 50000000}],
            [R || #{level := warning, msg := {report, R}} <- logged(Ctx)]
        )
    end).

%% statsd gets a datagram per commit: a host name would be a DNS lookup per commit, so the
%% config refuses one (statsd off, a warning naming the key), and commitlog_statsd sends nothing
%% to a destination that is not an address. The commit itself is handed off as usual.
statsd_host_name_is_refused_and_never_looked_up(Ctx) ->
    ?_test(begin
        {ok, Udp} = gen_udp:open(0, [binary, {ip, {127, 0, 0, 1}}, {active, false}]),
        {ok, Port} = inet:port(Udp),
        try
            ok = application:set_env(?APP, statsd_host, "localhost"),
            ok = application:set_env(?APP, statsd_port, Port),
            ?assertMatch(#{statsd := undefined}, commitlog_hook_config:read()),
            Warnings = [R || #{level := warning, msg := {report, R}} <- logged(Ctx)],
            ?assertMatch(
                [
                    #{
                        what := commitlog_hook_config_invalid,
                        key := statsd_host,
                        value := "localhost"
                    }
                ],
                Warnings
            ),
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-statsd-name">>))),
            ok = commitlog_statsd:handoff({"localhost", Port}, delivered, 1000),
            ?assertEqual({error, timeout}, gen_udp:recv(Udp, 0, 500)),
            %% An address, IPv4 or IPv6, is taken as it is.
            ok = application:set_env(?APP, statsd_host, " 127.0.0.1 "),
            ?assertMatch(#{statsd := {{127, 0, 0, 1}, Port}}, commitlog_hook_config:read()),
            ok = application:set_env(?APP, statsd_host, <<"::1">>),
            ?assertMatch(
                #{statsd := {{0, 0, 0, 0, 0, 0, 0, 1}, Port}}, commitlog_hook_config:read()
            ),
            %% advanced.config's own form for an address, a tuple, is taken too; a tuple that
            %% is no address is refused, and so is a port past 65535, each with a warning.
            ok = application:set_env(?APP, statsd_host, {127, 0, 0, 1}),
            ?assertMatch(#{statsd := {{127, 0, 0, 1}, Port}}, commitlog_hook_config:read()),
            ok = application:set_env(?APP, statsd_host, {127, 0, 0}),
            ?assertMatch(#{statsd := undefined}, commitlog_hook_config:read()),
            ok = application:set_env(?APP, statsd_host, {127, 0, 0, 1}),
            ok = application:set_env(?APP, statsd_port, 70000),
            ?assertMatch(#{statsd := undefined}, commitlog_hook_config:read()),
            ?assertMatch(
                [
                    #{key := statsd_host, value := {127, 0, 0}},
                    #{key := statsd_port, value := 70000}
                ],
                [
                    R
                 || #{level := warning, msg := {report, R = #{what := commitlog_hook_config_invalid}}} <-
                        logged(Ctx)
                ]
            )
        after
            gen_udp:close(Udp)
        end
    end).

logs_never_hold_the_value(#{server := S} = Ctx) ->
    ?_test(begin
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-v1">>))),
        ok = commitlog_test_ingest:set_responses(S, [503]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-v2">>))),
        ?assertEqual({fail, crash}, commitlog_hook:postcommit(not_an_object)),
        ?assertEqual({fail, crash}, commitlog_hook:postcommit({r_object, garbage})),
        Events = logged(Ctx),
        ?assert(length(Events) >= 4),
        Needles = [?VALUE, base64:encode(?VALUE), <<"NEVER-LOGGED">>],
        [
            ?assertEqual(nomatch, binary:match(term_to_binary(E), N))
         || E <- Events, N <- Needles
        ]
    end).

%% Keep-alive: the second hand-off goes over the first one's connection, and nothing of the
%% sockets is left in the caller's mailbox.
two_handoffs_reuse_one_connection(#{server := S} = Ctx) ->
    ?_test(begin
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-ka-1">>))),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-ka-2">>))),
        ?assertMatch([#{connection := 1}, #{connection := 1}], commitlog_test_ingest:requests(S)),
        ?assertEqual(1, commitlog_test_ingest:connections(S)),
        ?assertMatch([#{attempts := 1}, #{attempts := 1}], handoff_reports(Ctx)),
        ?assertEqual({messages, []}, process_info(self(), messages))
    end).

%% The server resets a kept-alive connection as the request arrives, before any answer: the
%% request goes once more on a new connection, in the same attempt, and is delivered once.
stale_pooled_connection_is_replaced_within_the_attempt(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_close_on_reuse(S, true),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-stale-1">>))),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-stale-2">>))),
        %% The second hand-off's first try hit the pooled connection and was cut there.
        ?assertEqual(1, commitlog_test_ingest:dropped(S)),
        Requests = commitlog_test_ingest:requests(S),
        ?assertMatch([#{connection := 1}, #{connection := 2}], Requests),
        ?assertEqual(
            [<<"k-stale-1">>, <<"k-stale-2">>],
            [maps:get(<<"key">>, commitlog_test_json:decode(B)) || #{body := B} <- Requests]
        ),
        ?assertMatch([#{attempts := 1}, #{attempts := 1}], handoff_reports(Ctx)),
        ?assertEqual([], failure_lines(Ctx)),
        ?assertEqual({messages, []}, process_info(self(), messages))
    end).

%% The server closes connections that stay idle: the next hand-off still gets through in one
%% attempt (whether the pool saw the close first or the request found the socket stale).
server_closing_idle_connections_costs_no_attempt(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_idle_timeout(S, 100),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-idle-1">>))),
        %% Until the pool has seen the server close it (a sleep could end first on a loaded
        %% machine, and the idle connection be reused).
        ok = commitlog_test_wait:until(
            fun() -> (map_size(commitlog_http_pool:idle()) =:= 0) andalso {true, ok} end,
            deadline(10000)
        ),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-idle-2">>))),
        ?assertMatch([#{connection := 1}, #{connection := 2}], commitlog_test_ingest:requests(S)),
        ?assertMatch([#{attempts := 1}, #{attempts := 1}], handoff_reports(Ctx)),
        ?assertEqual([], failure_lines(Ctx))
    end).

%% On a fresh connection, a close before the answer is a failed attempt (connection_closed),
%% retried like any other.
closed_before_an_answer_is_retried_on_a_new_connection(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(S, [close, 202]),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-closed">>))),
        ?assertMatch([#{connection := 1}, #{connection := 2}], commitlog_test_ingest:requests(S)),
        ?assertMatch([#{attempts := 2}], handoff_reports(Ctx)),
        ok = commitlog_test_ingest:set_responses(S, [close]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-closed-2">>))),
        %% Every attempt met a close, each on a new connection. The log names the last attempt's
        %% end: the close, or, when the budget's last few ms ran out first (a loaded machine),
        %% its deadline.
        [#{<<"reason">> := Reason}] = failure_lines(Ctx),
        ?assert(lists:member(Reason, [<<"connection_closed">>, <<"timeout">>])),
        [#{attempts := Attempts}] = handoff_reports(Ctx),
        ?assert(Attempts >= 2),
        ?assertEqual(2 + Attempts, commitlog_test_ingest:connections(S))
    end).

%% A server that takes the request and never answers: every attempt ends at its deadline, the
%% hand-off fails to the log, and a timed-out connection is never used again. (How long it took
%% is not asserted: a timing bound; a hang meets eunit's timeout.)
silent_server_times_out_within_the_budget(#{server := S} = Ctx) ->
    ?_test(begin
        %% Room for several attempts, however late a loaded machine ends each.
        ok = application:set_env(?APP, request_timeout_ms, 100),
        ok = application:set_env(?APP, retry_budget_ms, 2000),
        ok = commitlog_test_ingest:set_responses(S, [no_answer]),
        {Outcome, _Micros} = commitlog_hook:handoff(obj(<<"k-silent">>)),
        ?assertEqual(failed, Outcome),
        ?assertMatch([#{<<"reason">> := <<"timeout">>}], failure_lines(Ctx)),
        [#{attempts := Attempts, reason := timeout}] = handoff_reports(Ctx),
        ?assert(Attempts >= 2),
        ?assertEqual(Attempts, commitlog_test_ingest:count(S)),
        ?assertEqual(Attempts, commitlog_test_ingest:connections(S))
    end).

%% A response with Connection: close: the hook does not reuse that connection (the test server
%% leaves it open, so reuse would show as one connection).
connection_close_response_is_not_reused(#{server := S}) ->
    ?_test(begin
        Body = <<"{\"id\":\"x\",\"lane\":0,\"duplicate\":false}">>,
        Close = [{<<"connection">>, <<"close">>}],
        ok = commitlog_test_ingest:set_responses(S, [{202, Close, Body}]),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-cc-1">>))),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-cc-2">>))),
        ?assertMatch([#{connection := 1}, #{connection := 2}], commitlog_test_ingest:requests(S)),
        ?assertEqual(2, commitlog_test_ingest:connections(S))
    end).

%% A URL the hook cannot use (https has its own tests: commitlog_tls_tests).
unsupported_url_goes_to_the_failure_log(#{server := S, port := Port} = Ctx) ->
    ?_test(begin
        ok = application:set_env(?APP, ingest_url, "ftp://127.0.0.1:" ++ integer_to_list(Port)),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-ftp">>))),
        %% The second fails the same way: the breaker was not opened by the first.
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-ftp-2">>))),
        ?assertEqual(0, commitlog_test_ingest:connections(S)),
        ?assertMatch(
            [#{<<"reason">> := <<"unsupported_url">>}, #{<<"reason">> := <<"unsupported_url">>}],
            failure_lines(Ctx)
        ),
        %% Said at error level, once a second at most (the second is counted by the next line).
        Report = #{outcome => failed, reason => unsupported_url, attempts => 0},
        ?assertMatch(
            [#{level := error, msg := {report, Report}}],
            [
                E#{msg := {report, maps:with([outcome, reason, attempts], M)}}
             || E = #{msg := {report, M = #{what := commitlog_handoff}}} <- logged(Ctx)
            ]
        )
    end).

%% A commit JSON over max_body_bytes: no request (the ingest would answer 413 however often it
%% were sent), a too_large line, an error log line with bucket, key and size (never the value),
%% and the breaker untouched: the next commit is delivered.
oversized_commit_goes_to_the_failure_log_as_too_large_and_the_breaker_stays_closed(
    #{server := S} = Ctx
) ->
    ?_test(begin
        Obj = obj(<<"k-big">>),
        Size = byte_size(commitlog_hook:commit_json(Obj)),
        ok = application:set_env(?APP, max_body_bytes, Size - 1),
        ?assertEqual(ok, commitlog_hook:postcommit(Obj)),
        ?assertEqual(0, commitlog_test_ingest:count(S)),
        ?assertMatch(
            [#{<<"reason">> := <<"too_large">>, <<"commit">> := #{<<"key">> := <<"k-big">>}}],
            failure_lines(Ctx)
        ),
        Events = [E || E = #{msg := {report, #{what := commitlog_handoff}}} <- logged(Ctx)],
        ?assertMatch(
            [
                #{
                    level := error,
                    msg := {report, #{
                        outcome := rejected, reason := too_large, attempts := 0, size := Size,
                        bucket := <<"transactions">>, key := <<"k-big">>
                    }}
                }
            ],
            Events
        ),
        [?assertEqual(nomatch, binary:match(term_to_binary(E), <<"NEVER-LOGGED">>)) || E <- Events],
        %% Exactly at the limit is not too large.
        ok = application:set_env(?APP, max_body_bytes, Size),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-big">>))),
        ?assertEqual(1, commitlog_test_ingest:count(S)),
        ?assertEqual(1, length(failure_lines(Ctx)))
    end).

%% Nor does a too_large commit count as the ingest's success: an open breaker stays open.
oversized_commit_leaves_an_open_breaker_open(#{server := S} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(S, [503]),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-fail">>))),
        Count = commitlog_test_ingest:count(S),
        ok = commitlog_test_ingest:set_responses(S, [202]),
        ok = application:set_env(?APP, max_body_bytes, 10),
        ?assertMatch({rejected, _}, commitlog_hook:handoff(obj(<<"k-big-open">>))),
        ok = application:unset_env(?APP, max_body_bytes),
        ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-after">>))),
        ?assertEqual(Count, commitlog_test_ingest:count(S)),
        ?assertEqual(
            [<<"http_503">>, <<"too_large">>, <<"breaker_open">>],
            [R || #{<<"reason">> := R} <- failure_lines(Ctx)]
        )
    end).

%% A crash once the JSON is built (here: a log_level of a shape that makes the config reader
%% raise) still puts the commit in the failure log, as reason crash, and postcommit returns ok.
crash_after_the_json_is_built_goes_to_the_failure_log_as_crash(#{server := S} = Ctx) ->
    ?_test(begin
        ok = application:set_env(?APP, log_level, [foo]),
        ?assertError(_, commitlog_hook_config:read()),
        Obj = obj(<<"k-crash">>),
        ?assertEqual(ok, commitlog_hook:postcommit(Obj)),
        ?assertEqual(0, commitlog_test_ingest:count(S)),
        [Line] = failure_lines(Ctx),
        ?assertMatch(#{<<"reason">> := <<"crash">>}, Line),
        Posted = commitlog_hook:commit_json(Obj),
        ?assertEqual(
            <<"{\"failedAt\":\"", (maps:get(<<"failedAt">>, Line))/binary,
                "\",\"reason\":\"crash\",\"commit\":", Posted/binary, "}\n">>,
            raw_failure_log(Ctx)
        ),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-crash-2">>))),
        ?assertEqual(2, length(failure_lines(Ctx))),
        Events = logged(Ctx),
        ?assertMatch(
            [
                #{
                    class := error, kind := function_clause, reason := crash,
                    bucket := <<"transactions">>, key := <<"k-crash">>
                },
                #{key := <<"k-crash-2">>}
            ],
            [R || #{level := error, msg := {report, R = #{what := commitlog_hook_crashed}}} <- Events]
        ),
        [?assertEqual(nomatch, binary:match(term_to_binary(E), <<"NEVER-LOGGED">>)) || E <- Events]
    end).

%% An object whose JSON cannot be built (user metadata in an improper list: the encoder's fold
%% raises) is not lost: its external term goes to the failure log, reason unencodable, nothing
%% is posted, and the crash is logged without the value.
an_object_that_cannot_be_encoded_goes_to_the_failure_log_as_unencodable(#{server := S} = Ctx) ->
    ?_test(begin
        Obj = unencodable_obj(<<"k-odd">>),
        ?assertError(_, commitlog_hook:commit_json(Obj)),
        ?assertMatch({failed, _}, commitlog_hook:handoff(Obj)),
        ?assertEqual(ok, commitlog_hook:postcommit(Obj)),
        ?assertEqual(0, commitlog_test_ingest:count(S)),
        [Line, _] = failure_lines(Ctx),
        ?assertMatch(
            #{
                <<"reason">> := <<"unencodable">>,
                <<"commit">> := #{
                    <<"unencodable">> := true,
                    <<"bucket">> := <<"transactions">>,
                    <<"key">> := <<"k-odd">>
                }
            },
            Line
        ),
        Term = maps:get(<<"object">>, maps:get(<<"commit">>, Line)),
        ?assertEqual(Obj, binary_to_term(base64:decode(Term))),
        Events = logged(Ctx),
        ?assertMatch(
            [#{reason := unencodable, kind := function_clause, key := <<"k-odd">>} | _],
            [R || #{level := error, msg := {report, R = #{what := commitlog_hook_crashed}}} <- Events]
        ),
        [?assertEqual(nomatch, binary:match(term_to_binary(E), <<"NEVER-LOGGED">>)) || E <- Events]
    end).

%% With its failure log unwritable as well, such a commit is counted `unkept` over statsd, the
%% alert that needs no disk, as on the hand-off's own path.
an_unencodable_object_the_failure_log_cannot_keep_is_counted_unkept(Ctx) ->
    ?_test(assert_counted_unkept(Ctx, unencodable_obj(<<"k-odd-2">>))).

%% And a commit whose hand-off crashed because the configuration cannot be read (its statsd
%% address is read on its own).
a_crash_the_failure_log_cannot_keep_is_counted_unkept(Ctx) ->
    ?_test(begin
        ok = application:set_env(?APP, log_level, [foo]),
        ?assertError(_, commitlog_hook_config:read()),
        assert_counted_unkept(Ctx, obj(<<"k-crash-unkept">>))
    end).

%% A commit that goes to the failure log because its hand-off crashed, or because its object
%% cannot be encoded, is counted `commitlog.hook.failed` as any other failed hand-off: the
%% failure-log alerts of INSTALL.md watch that count.
a_crash_or_an_unencodable_object_is_counted_failed_in_statsd(_Ctx) ->
    ?_test(begin
        {ok, Udp} = gen_udp:open(0, [binary, {ip, {127, 0, 0, 1}}, {active, false}]),
        {ok, Port} = inet:port(Udp),
        try
            ok = application:set_env(?APP, statsd_host, "127.0.0.1"),
            ok = application:set_env(?APP, statsd_port, Port),
            ?assertEqual(ok, commitlog_hook:postcommit(unencodable_obj(<<"k-odd-3">>))),
            {ok, {_, _, First}} = gen_udp:recv(Udp, 0, 5000),
            ?assert(lists:member(<<"commitlog.hook.failed:1|c">>, [First | more_packets(Udp)])),
            ok = application:set_env(?APP, log_level, [foo]),
            ?assertEqual(ok, commitlog_hook:postcommit(obj(<<"k-crash-3">>))),
            {ok, {_, _, Next}} = gen_udp:recv(Udp, 0, 5000),
            ?assert(lists:member(<<"commitlog.hook.failed:1|c">>, [Next | more_packets(Udp)]))
        after
            gen_udp:close(Udp)
        end
    end).

%% Hands Obj off with the failure log unwritable and statsd on a local UDP socket: the postcommit
%% fails as unkept (for Riak's postcommit_fail) and `commitlog.hook.unkept` arrives among the
%% packets.
assert_counted_unkept(#{dir := Dir}, Obj) ->
    Unwritable = filename:join([Dir, "no-such-dir", "failed.jsonl"]),
    ok = application:set_env(?APP, failure_log, Unwritable),
    {ok, Udp} = gen_udp:open(0, [binary, {ip, {127, 0, 0, 1}}, {active, false}]),
    {ok, Port} = inet:port(Udp),
    try
        ok = application:set_env(?APP, statsd_host, "127.0.0.1"),
        ok = application:set_env(?APP, statsd_port, Port),
        ?assertEqual({fail, unkept}, commitlog_hook:postcommit(Obj)),
        {ok, {_, _, First}} = gen_udp:recv(Udp, 0, 5000),
        ?assert(lists:member(<<"commitlog.hook.unkept:1|c">>, [First | more_packets(Udp)]))
    after
        gen_udp:close(Udp)
    end.

unencodable_obj(Key) ->
    MD = dict:from_list([
        {<<"content-type">>, "application/json"},
        {<<"X-Riak-Meta">>, [{"X-Riak-Meta-Origin", "api"} | not_a_list]}
    ]),
    riak_object:increment_vclock(
        riak_object:new(<<"transactions">>, Key, ?VALUE, MD), <<"node-a">>, 1
    ).

%% The packets that follow within 200 ms each.
more_packets(Udp) ->
    case gen_udp:recv(Udp, 0, 200) of
        {ok, {_, _, Packet}} -> [Packet | more_packets(Udp)];
        {error, timeout} -> []
    end.

%%% Outside the fixture

postcommit_never_raises_test_() ->
    {setup,
        fun() ->
            [application:unset_env(?APP, K) || K <- ?KEYS],
            ok = application:set_env(?APP, failure_log, "/nonexistent-commitlog-dir/failed.jsonl"),
            ok = application:set_env(?APP, secret, ?SECRET),
            ok = application:set_env(?APP, ingest_url, "not a url at all"),
            commitlog_hook:reset_breaker()
        end,
        fun(_) ->
            [application:unset_env(?APP, K) || K <- ?KEYS],
            commitlog_hook:reset_breaker()
        end,
        [
            %% Not a riak_object: nothing to keep; counted by Riak all the same.
            ?_assertEqual({fail, crash}, commitlog_hook:postcommit(not_an_object)),
            ?_assertEqual({fail, crash}, commitlog_hook:postcommit(undefined)),
            ?_assertEqual({fail, crash}, commitlog_hook:postcommit({r_object, <<"b">>})),
            %% No usable ingest_url, no writable failure log.
            ?_assertEqual({fail, unkept}, commitlog_hook:postcommit(obj(<<"k">>)))
        ]}.

failure_log_line_format_test() ->
    Line = commitlog_failure_log:line(breaker_open, <<"{\"key\":\"k\"}">>, 1764000000000001),
    ?assertEqual(
        <<"{\"failedAt\":\"2025-11-24T16:00:00.000001Z\",\"reason\":\"breaker_open\",",
            "\"commit\":{\"key\":\"k\"}}\n">>,
        Line
    ).

config_defaults_test() ->
    [application:unset_env(?APP, K) || K <- ?KEYS],
    Vars = [
        "COMMITLOG_INGEST_URL", "COMMITLOG_CA_FILE", "COMMITLOG_SECRET", "COMMITLOG_FAILURE_LOG",
        "COMMITLOG_CONNECT_TIMEOUT_MS", "COMMITLOG_REQUEST_TIMEOUT_MS", "COMMITLOG_RETRY_BUDGET_MS",
        "COMMITLOG_BREAKER_COOLDOWN_MS", "COMMITLOG_LOG_LEVEL", "COMMITLOG_STATSD_HOST",
        "COMMITLOG_STATSD_PORT", "COMMITLOG_MAX_BODY_BYTES"
    ],
    Saved = [{V, os:getenv(V)} || V <- Vars],
    [os:unsetenv(V) || V <- Vars],
    try
        ?assertEqual(
            #{
                ingest_url => "http://127.0.0.1:8080",
                ca_file => undefined,
                secret => undefined,
                failure_log => "/var/log/riak/commitlog-failed.jsonl",
                connect_timeout_ms => 200,
                request_timeout_ms => 300,
                retry_budget_ms => 500,
                breaker_cooldown_ms => 5000,
                log_level => debug,
                statsd => undefined,
                max_body_bytes => 16777216
            },
            commitlog_hook_config:read()
        ),
        true = os:putenv("COMMITLOG_SECRET", "from-env"),
        true = os:putenv("COMMITLOG_RETRY_BUDGET_MS", "750"),
        true = os:putenv("COMMITLOG_STATSD_HOST", "127.0.0.1"),
        true = os:putenv("COMMITLOG_STATSD_PORT", "8125"),
        true = os:putenv("COMMITLOG_MAX_BODY_BYTES", "2048"),
        true = os:putenv("COMMITLOG_CA_FILE", "/etc/commitlog/ca.pem"),
        ok = application:set_env(?APP, request_timeout_ms, 250),
        Config = commitlog_hook_config:read(),
        ?assertMatch(
            #{secret := <<"from-env">>, retry_budget_ms := 750, request_timeout_ms := 250,
                statsd := {{127, 0, 0, 1}, 8125}, max_body_bytes := 2048,
                ca_file := <<"/etc/commitlog/ca.pem">>},
            Config
        ),
        ok = application:set_env(?APP, ca_file, "/opt/ca.pem"),
        ?assertMatch(#{ca_file := <<"/opt/ca.pem">>}, commitlog_hook_config:read()),
        %% The application env wins over the OS env.
        ok = application:set_env(?APP, retry_budget_ms, 100),
        ?assertMatch(#{retry_budget_ms := 100}, commitlog_hook_config:read()),
        %% A secret past ASCII is signed with its UTF-8 bytes, as the ingest does.
        true = os:putenv("COMMITLOG_SECRET", [99, 97, 102, 233]),
        ?assertMatch(#{secret := <<"caf", 195, 169>>}, commitlog_hook_config:read()),
        ok = application:set_env(?APP, secret, "caf\x{e9}"),
        ?assertMatch(#{secret := <<"caf", 195, 169>>}, commitlog_hook_config:read()),
        %% Whitespace at either end (an environment file's CR) is dropped, as the ingest drops it.
        ok = application:unset_env(?APP, secret),
        true = os:putenv("COMMITLOG_SECRET", " from-env\r\n"),
        ?assertMatch(#{secret := <<"from-env">>}, commitlog_hook_config:read()),
        ok = application:set_env(?APP, secret, <<"\tin the middle stays \r">>),
        ?assertMatch(#{secret := <<"in the middle stays">>}, commitlog_hook_config:read()),
        ok = application:set_env(?APP, secret, <<" \r\n">>),
        ?assertMatch(#{secret := undefined}, commitlog_hook_config:read()),
        %% And what else JavaScript's trim() drops: a byte-order mark, a no-break space, VT, FF.
        ok = application:set_env(?APP, secret, <<"\xEF\xBB\xBFbom-led\xC2\xA0\v\f">>),
        ?assertMatch(#{secret := <<"bom-led">>}, commitlog_hook_config:read()),
        %% Bytes that are not UTF-8 lose only ASCII white space.
        ok = application:set_env(?APP, secret, <<" \xFFraw\xFE\n">>),
        ?assertMatch(#{secret := <<"\xFFraw\xFE">>}, commitlog_hook_config:read())
    after
        [application:unset_env(?APP, K) || K <- ?KEYS],
        [
            case Value of
                false -> os:unsetenv(V);
                _ -> os:putenv(V, Value)
            end
         || {V, Value} <- Saved
        ]
    end.

%% Settings in advanced.config need the application loaded: a failed load is said at error level
%% (once, by the first call that tries), a load already done says nothing.
an_app_that_cannot_be_loaded_is_reported(Ctx) ->
    ?_test(begin
        ok = commitlog_hook_setup:note_load({error, {already_loaded, commitlog_riak_hook}}),
        ok = commitlog_hook_setup:note_load({error, {"no such file or directory", "x.app"}}),
        ?assertMatch(
            [#{level := error, msg := {report, #{reason := {"no such file or directory", "x.app"}}}}],
            [E || E = #{msg := {report, #{what := commitlog_hook_app_not_loaded}}} <- logged(Ctx)]
        )
    end).

%% A failure log that cannot be written is said at error level (the hook checks it at its first
%% commit); one that can says nothing.
an_unwritable_failure_log_is_reported(Ctx) ->
    ?_test(begin
        ok = commitlog_hook_setup:note_failure_log(<<"/var/log/x.jsonl">>, ok),
        ok = commitlog_hook_setup:note_failure_log(<<"/var/log/x.jsonl">>, {error, enoent}),
        ?assertMatch(
            [
                #{
                    level := error,
                    msg := {report, #{file_error := enoent, failure_log := <<"/var/log/x.jsonl">>}}
                }
            ],
            [E || E = #{msg := {report, #{what := commitlog_failure_log_unwritable}}} <- logged(Ctx)]
        )
    end).

%% A secret no ingest can share is said at error level, with what is wrong and its length, never
%% the secret; a usable one, or none (said by each hand-off), says nothing.
an_unusable_secret_is_reported(Ctx) ->
    ?_test(begin
        ok = commitlog_hook_setup:note_secret(undefined),
        ok = commitlog_hook_setup:note_secret(<<"a-signing-secret-of-at-least-32-characters">>),
        ok = commitlog_hook_setup:note_secret(<<"short-SECRET,other">>),
        Reports = [R || #{msg := {report, R = #{what := commitlog_secret_unusable}}} <- logged(Ctx)],
        ?assertMatch([#{length := 18, problems := [_, _]}], Reports),
        ?assertEqual(nomatch, binary:match(term_to_binary(Reports), <<"short-SECRET">>))
    end).

%% The check runs at a node's first commit, from the config read: a secret that is not UTF-8
%% (40 bytes, 0xFF among them) is reported as such, and the commit is handed off all the same;
%% string:length/1 raised on it, which sent that commit to the failure log as a crash.
the_first_commit_reports_a_secret_that_is_not_text(#{server := S} = Ctx) ->
    ?_test(begin
        Bytes = <<255, "-a-secret-of-forty-bytes-not-utf-8-text">>,
        ?assertEqual(40, byte_size(Bytes)),
        ok = application:set_env(?APP, secret, Bytes),
        _ = persistent_term:erase({commitlog_hook_setup, secret_checked}),
        ok = commitlog_test_ingest:set_responses(S, [202]),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-bytes">>))),
        Reports = [R || #{msg := {report, R = #{what := commitlog_secret_unusable}}} <- logged(Ctx)],
        ?assertMatch([#{length := 40, problems := [<<"is not UTF-8 text", _/binary>>]}], Reports),
        ?assertEqual([], failure_lines(Ctx))
    end).

%% An OS environment value read under a latin1 native name encoding is the environment's bytes:
%% UTF-8 text among them is read as text (a secret with "é" signs as the ingest does), other
%% bytes are kept; under a Unicode encoding the VM has decoded it already.
os_text_reads_utf8_bytes_under_latin1_test() ->
    ?assertEqual([233], commitlog_os_env:decode_text([195, 169], latin1)),
    ?assertEqual("plain", commitlog_os_env:decode_text("plain", latin1)),
    ?assertEqual([255, 1], commitlog_os_env:decode_text([255, 1], latin1)),
    ?assertEqual([195, 169], commitlog_os_env:decode_text([195, 169], utf8)),
    ?assertEqual([233], commitlog_os_env:decode_text([233], utf8)).

%% A commit that fails before the config was read (one that cannot be encoded) still goes to the
%% log advanced.config names: failure_log/0 loads the app first, as read/0 does, or that
%% setting would read as unset.
failure_log_loads_the_app_first_test() ->
    Saved = application:get_all_env(?APP),
    _ = application:unload(?APP),
    _ = persistent_term:erase({commitlog_hook_setup, load_tried}),
    try
        _ = commitlog_hook_config:failure_log(),
        ?assert(lists:keymember(?APP, 1, application:loaded_applications()))
    after
        _ = application:load(?APP),
        [ok = application:set_env(?APP, K, V) || {K, V} <- Saved]
    end.

%% A path from the OS environment is its bytes as they are, whatever the name encoding: read as
%% text under latin1 (as a secret is), a UTF-8 path would name another file.
os_environment_path_is_its_bytes_test() ->
    Utf8 = [$/, $t, 195, 169],
    ?assertEqual(<<"/t", 195, 169>>, commitlog_os_env:decode_bytes(Utf8, latin1)),
    ?assertEqual(<<"/t", 195, 169>>, commitlog_os_env:decode_bytes([$/, $t, 233], utf8)),
    ?assertEqual(<<"/t", 255>>, commitlog_os_env:decode_bytes([$/, $t, 255], latin1)).

%% A path in advanced.config: a string is its UTF-8 bytes, a binary its bytes as they are.
app_env_path_is_its_bytes_test() ->
    Saved = application:get_env(?APP, failure_log),
    try
        ok = application:set_env(?APP, failure_log, "/var/log/riak/é.jsonl"),
        ?assertEqual(<<"/var/log/riak/", 195, 169, ".jsonl">>, commitlog_hook_config:failure_log()),
        ok = application:set_env(?APP, failure_log, <<"/var/log/riak/", 255, ".jsonl">>),
        ?assertEqual(<<"/var/log/riak/", 255, ".jsonl">>, commitlog_hook_config:failure_log())
    after
        case Saved of
            {ok, V} -> application:set_env(?APP, failure_log, V);
            undefined -> application:unset_env(?APP, failure_log)
        end
    end.

%% A set-up check that raises is an error line naming the check and the kind of failure (never
%% the reason's terms: the secret's check may carry the secret), run once, and never the commit's
%% failure.
a_set_up_check_that_raises_is_reported_once_without_its_reason(Ctx) ->
    ?_test(begin
        Key = {test_check, erlang:unique_integer()},
        Raise = fun() -> error({badarg, <<"s3cret-in-the-reason">>}) end,
        ?assertEqual(ok, commitlog_hook_setup:once(Key, Raise)),
        ?assertEqual(ok, commitlog_hook_setup:once(Key, Raise)),
        _ = persistent_term:erase({commitlog_hook_setup, Key}),
        Reports = [R || #{msg := {report, R = #{what := commitlog_setup_check_crashed}}} <- logged(Ctx)],
        ?assertMatch([#{check := Key, class := error, reason := badarg}], Reports),
        ?assertEqual(nomatch, binary:match(term_to_binary(Reports), <<"s3cret">>))
    end).
