%%% commitlog_hook_bench: how long the hook holds a Riak process per commit, measured against
%%% the configured ingest (commitlog_hook_config: COMMITLOG_INGEST_URL, COMMITLOG_SECRET, ...).
%%% Runs outside Riak: riak_object is not there, so commits are built as maps and go through
%%% commitlog_hook:handoff_json/3, the same path postcommit/1 takes after building its JSON.
%%%
%%%   COMMITLOG_SECRET=... erl -noshell -pa _build/default/lib/commitlog_riak_hook/ebin \
%%%     -eval 'io:format("~p~n", [commitlog_hook_bench:run(1000)]), halt().'
%%%
%%% An https COMMITLOG_INGEST_URL (with COMMITLOG_CA_FILE) measures the hand-off over TLS: the
%%% warm-up hand-off makes the one handshake, the counted ones reuse its connection.
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

-export([run/1, run/2, sample_commit/2, failure_log/3]).

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

%% failure_log(Procs, N, Path): N failure-log lines written by Procs processes at once (an ingest
%% outage: every put of the node goes to the log), first each process writing its own line with
%% its own flush (commitlog_failure_log:append_lines/2, the hook's way before 2026-12-06), then
%% through the node's group writer (commitlog_failure_writer). The file at Path is removed before
%% and after each. Output: #{direct => Stats, grouped => Stats, grouped_per_direct => Ratio of
%% lines per second}, Stats = #{lines_per_s, median_us, p99_us, errors}.
-spec failure_log(pos_integer(), pos_integer(), file:filename()) -> map().
failure_log(Procs, N, Path) when Procs >= 1, N >= Procs ->
    Direct = write_lines(Procs, N, Path, fun(Line) ->
        commitlog_failure_log:append_lines(Path, [Line])
    end),
    Grouped = write_lines(Procs, N, Path, fun(Line) ->
        commitlog_failure_writer:append(Path, Line)
    end),
    #{
        direct => Direct,
        grouped => Grouped,
        grouped_per_direct =>
            round(100 * maps:get(lines_per_s, Grouped) / max(1, maps:get(lines_per_s, Direct))) / 100
    }.

write_lines(Procs, N, Path, Append) ->
    _ = file:delete(Path),
    Each = N div Procs,
    Self = self(),
    Started = erlang:monotonic_time(microsecond),
    Pids = [
        spawn_link(fun() ->
            Self ! {self(), [timed_append(Append, P, I) || I <- lists:seq(1, Each)]}
        end)
     || P <- lists:seq(1, Procs)
    ],
    Results = lists:append([receive {Pid, R} -> R end || Pid <- Pids]),
    Elapsed = max(1, erlang:monotonic_time(microsecond) - Started),
    _ = file:delete(Path),
    Sorted = lists:sort([Micros || {_, Micros} <- Results]),
    #{
        lines_per_s => length(Results) * 1000000 div Elapsed,
        median_us => percentile(Sorted, 50),
        p99_us => percentile(Sorted, 99),
        errors => length([R || {R, _} <- Results, R =/= ok])
    }.

timed_append(Append, P, I) ->
    Commit = sample_commit(integer_to_binary(P), I),
    Line = commitlog_failure_log:line(breaker_open, commitlog_json:encode(Commit), I),
    Start = erlang:monotonic_time(microsecond),
    Result = Append(Line),
    {Result, erlang:monotonic_time(microsecond) - Start}.

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
