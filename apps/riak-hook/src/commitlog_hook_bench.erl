%%% commitlog_hook_bench: how long the hook holds a Riak process per commit, measured against
%%% the configured ingest (commitlog_hook_config: COMMITLOG_INGEST_URL, COMMITLOG_SECRET, ...).
%%% Runs outside Riak: riak_object is not there, so commits are built as maps and go through
%%% commitlog_hook:handoff_json/3, the same path postcommit/1 takes after building its JSON.
%%%
%%%   COMMITLOG_SECRET=... erl -noshell -pa _build/default/lib/commitlog_riak_hook/ebin \
%%%     -eval 'io:format("~p~n", [commitlog_hook_bench:run(1000)]), halt().'
%%%
%%% Inputs:  run(N): N sequential hand-offs of a small put (one 15-byte JSON sibling), each with
%%%          a key of its own (unique per run, so none is a duplicate). run(N, CommitFun):
%%%          CommitFun(I) -> commit map (DESIGN's JSON as a commitlog_json term) for I in 1..N.
%%%          One extra hand-off first opens the kept-alive connection (and starts
%%%          commitlog_http_pool); it is not counted.
%%% Output:  #{n, median_us, p90_us, p99_us, min_us, max_us, outcomes => #{Outcome => Count}}.
%%%          Every hand-off really posts (or fails into the failure log): point it at a test
%%%          ingest, and mind COMMITLOG_FAILURE_LOG when the ingest is down.
%%% Errors:  badarg for N < 1; whatever CommitFun raises.
-module(commitlog_hook_bench).

-export([run/1, run/2, sample_commit/2]).

-spec run(pos_integer()) -> map().
run(N) ->
    RunId = integer_to_binary(os:system_time(microsecond)),
    run(N, fun(I) -> sample_commit(RunId, I) end).

-spec run(pos_integer(), fun((non_neg_integer()) -> map())) -> map().
run(N, CommitFun) when is_integer(N), N >= 1, is_function(CommitFun, 1) ->
    _Warmup = handoff(CommitFun(0)),
    Results = [handoff(CommitFun(I)) || I <- lists:seq(1, N)],
    Sorted = lists:sort([Micros || {_, Micros} <- Results]),
    Outcomes = lists:foldl(
        fun({Outcome, _}, Acc) -> maps:update_with(Outcome, fun(C) -> C + 1 end, 1, Acc) end,
        #{},
        Results
    ),
    #{
        n => N,
        median_us => percentile(Sorted, 50),
        p90_us => percentile(Sorted, 90),
        p99_us => percentile(Sorted, 99),
        min_us => hd(Sorted),
        max_us => lists:last(Sorted),
        outcomes => Outcomes
    };
run(_N, _CommitFun) ->
    erlang:error(badarg).

%% A put of {"amount":100} to default/bench, key bench-<RunId>-<I>, shaped like what
%% commitlog_commit builds from a riak_object.
-spec sample_commit(binary(), non_neg_integer()) -> map().
sample_commit(RunId, I) ->
    Now = os:system_time(microsecond),
    VClock = term_to_binary({encode_raw, [{<<"bench">>, {I + 1, Now div 1000000}}]}),
    #{
        bucketType => <<"default">>,
        bucket => <<"bench">>,
        key => <<"bench-", RunId/binary, "-", (integer_to_binary(I))/binary>>,
        op => put,
        vclock => base64:encode(VClock),
        siblings => [
            #{
                value => base64:encode(<<"{\"amount\":100}">>),
                contentType => <<"application/json">>,
                vtag => integer_to_binary(Now, 36),
                lastModified => commitlog_time:micros_to_iso8601(Now)
            }
        ]
    }.

%%% Internal

handoff(Commit) ->
    #{bucket := Bucket, key := Key} = Commit,
    commitlog_hook:handoff_json(commitlog_json:encode(Commit), Bucket, Key).

%% Nearest-rank percentile of a sorted, non-empty list.
percentile(Sorted, P) ->
    Rank = max(1, (P * length(Sorted) + 99) div 100),
    lists:nth(Rank, Sorted).
