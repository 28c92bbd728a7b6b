%% The failure log's group writer: lines that arrive while a flush runs go in the next one, every
%% caller is told how its own line went, and a writer that dies or hangs costs a caller its
%% wait, never its line.
-module(commitlog_failure_writer_tests).

-include_lib("eunit/include/eunit.hrl").

with_log(Test) ->
    commitlog_test_log:with_log("commitlog-failure-writer-test", Test).

line(Key) ->
    commitlog_failure_log:line(breaker_open, <<"{\"key\":\"", Key/binary, "\"}">>, 1764000000000000).

keys(Log) ->
    {ok, Bin} = file:read_file(Log),
    [
        maps:get(<<"key">>, maps:get(<<"commit">>, commitlog_test_json:decode(L)))
     || L <- binary:split(Bin, <<"\n">>, [global]), L =/= <<>>
    ].

%% Appends from `Count` processes at once through `Writer`; their results, in key order.
append_from_many(Writer, Log, Count, WaitMs) ->
    Self = self(),
    Keys = [<<"k-", (integer_to_binary(N))/binary>> || N <- lists:seq(1, Count)],
    [
        spawn(fun() -> Self ! {K, append(Writer, Log, line(K), WaitMs)} end)
     || K <- Keys
    ],
    [receive {K, Result} -> Result after 10000 -> erlang:error({no_answer, K}) end || K <- Keys].

append(registered, Log, Line, _WaitMs) -> commitlog_failure_writer:append(Log, Line);
append(Writer, Log, Line, WaitMs) -> commitlog_failure_writer:append(Writer, Log, Line, WaitMs).

%% The first write takes a while, as a flush does: the lines that come meanwhile go together.
%% Here it lasts until every other caller's line is queued behind it, however slow the machine.
groups_the_lines_that_come_while_a_flush_runs_test() ->
    with_log(fun(Log) ->
        Counter = counters:new(1, []),
        Write = fun(Path, Lines) ->
            counters:add(Counter, 1, 1),
            counters:get(Counter, 1) =:= 1 andalso queued_at_least(40 - length(Lines)),
            commitlog_failure_log:append_lines(Path, Lines)
        end,
        Writer = commitlog_failure_writer:start(Write),
        Results = append_from_many(Writer, Log, 40, 5000),
        ?assertEqual(lists:duplicate(40, ok), Results),
        Kept = keys(Log),
        ?assertEqual(40, length(Kept)),
        ?assertEqual(lists:usort(Kept), lists:sort(Kept)),
        %% The lines queued by the time the first write started, then all the others at once.
        ?assert(counters:get(Counter, 1) =< 2),
        exit(Writer, kill)
    end).

%% Waits, in the writer, until its mailbox holds at least N lines.
queued_at_least(N) ->
    case process_info(self(), message_queue_len) of
        {message_queue_len, Len} when Len >= N ->
            true;
        _ ->
            timer:sleep(1),
            queued_at_least(N)
    end.

tells_every_caller_of_a_group_that_its_write_failed_test() ->
    Writer = commitlog_failure_writer:start(fun(_, _) -> {error, enospc} end),
    Results = append_from_many(Writer, "/nowhere/failed.jsonl", 5, 5000),
    ?assertEqual(lists:duplicate(5, {error, enospc}), Results),
    exit(Writer, kill).

%% A writer that dies mid-write: its callers write their lines themselves.
a_caller_whose_writer_dies_writes_its_line_itself_test() ->
    with_log(fun(Log) ->
        Writer = commitlog_failure_writer:start(fun(_, _) -> exit(self(), kill) end),
        ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, line(<<"k-died">>), 5000)),
        ?assertEqual([<<"k-died">>], keys(Log))
    end).

%% A writer that hangs (a hung disk, a stalled flush): its caller stops waiting, writes its line
%% itself, and the writer's late answer never reaches the caller's mailbox.
a_caller_whose_writer_hangs_writes_its_line_itself_and_gets_no_late_answer_test() ->
    with_log(fun(Log) ->
        Self = self(),
        Write = fun(Path, Lines) ->
            Self ! writing,
            %% Still writing when its caller's wait ends.
            receive go_on -> ok end,
            Result = commitlog_failure_log:append_lines(Path, Lines),
            Self ! written,
            Result
        end,
        Writer = commitlog_failure_writer:start(Write),
        Caller = spawn(fun() ->
            Self ! {appended, commitlog_failure_writer:append(Writer, Log, line(<<"k-slow">>), 300)},
            receive check -> Self ! {mailbox, process_info(self(), messages)} end
        end),
        receive writing -> ok after 5000 -> erlang:error(never_writing) end,
        receive {appended, Result} -> ?assertEqual(ok, Result) after 5000 -> erlang:error(Caller) end,
        Writer ! go_on,
        receive written -> ok after 5000 -> erlang:error(never_written) end,
        timer:sleep(50),
        Caller ! check,
        %% The writer's late answer went to a deactivated alias: dropped, never delivered.
        receive {mailbox, Mailbox} -> ?assertEqual({messages, []}, Mailbox) after 5000 -> erlang:error(Caller) end,
        %% Written twice (by the caller, then by the writer): a replay answers the second as a
        %% duplicate. Never zero times.
        ?assertEqual([<<"k-slow">>, <<"k-slow">>], keys(Log)),
        exit(Writer, kill)
    end).

%% A writer stuck on its disk with a group's worth of lines waiting: a caller writes its own line
%% at once, adding nothing to the stuck writer's mailbox (each line there holds a whole commit).
a_writer_too_far_behind_is_passed_by_test() ->
    with_log(fun(Log) ->
        Self = self(),
        Write = fun(_Path, _Lines) ->
            Self ! stuck,
            receive never -> ok end
        end,
        Writer = commitlog_failure_writer:start(Write),
        Group = 512,
        Append = fun() ->
            spawn(fun() -> commitlog_failure_writer:append(Writer, Log, line(<<"k-held">>), 600000) end)
        end,
        %% The writer stuck on a line first, then a full group's worth queued behind it. (Sent
        %% all at once, the lines could fill the queue before the writer took them, all of them,
        %% as its group: the queue then stayed empty.)
        First = Append(),
        receive stuck -> ok after 5000 -> erlang:error(never_stuck) end,
        Callers = [First | [Append() || _ <- lists:seq(1, Group + 16)]],
        wait_until_queued(Writer, Group),
        %% With a wait of ten minutes: only passing the writer by returns before eunit's timeout.
        ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, line(<<"k-past">>), 600000)),
        %% Written by its caller (as are the lines of those that came after the queue was full).
        ?assert(lists:member(<<"k-past">>, keys(Log))),
        {messages, Queued} = process_info(Writer, messages),
        ?assertEqual([], [L || {append, _, _, L, _} <- Queued, binary:match(L, <<"k-past">>) =/= nomatch]),
        %% The callers go before the writer: told it died, they would write their lines after
        %% this test's log is removed.
        [exit(P, kill) || P <- Callers],
        wait_until_dead(Callers),
        exit(Writer, kill)
    end).

wait_until_dead(Pids) ->
    [
        receive
            {'DOWN', Ref, process, _, _} -> ok
        end
     || Ref <- [erlang:monitor(process, P) || P <- Pids]
    ],
    ok.

wait_until_queued(Pid, N) ->
    case process_info(Pid, message_queue_len) of
        {message_queue_len, Len} when Len >= N ->
            ok;
        _ ->
            timer:sleep(1),
            wait_until_queued(Pid, N)
    end.

%% A line whose caller stopped waiting before the writer could take it (the writer was busy with
%% a slow flush) is written by the writer too: its caller wrote it itself, so it is in the log
%% twice (a replay answers the second as a duplicate), rather than in none when the caller could
%% not write it.
writes_a_line_whose_caller_stopped_waiting_too_test() ->
    with_log(fun(Log) ->
        Self = self(),
        Write = fun(Path, Lines) ->
            Self ! writing,
            receive go_on -> ok end,
            Result = commitlog_failure_log:append_lines(Path, Lines),
            Self ! {written, length(Lines)},
            Result
        end,
        Writer = commitlog_failure_writer:start(Write),
        First = spawn(fun() ->
            Self ! {first, commitlog_failure_writer:append(Writer, Log, line(<<"k-first">>), 5000)}
        end),
        %% The writer holds k-first's group (its write waits) before k-late is sent.
        receive writing -> ok after 5000 -> erlang:error(never_writing) end,
        ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, line(<<"k-late">>), 20)),
        Writer ! go_on,
        receive {written, 1} -> ok after 5000 -> erlang:error(never_written) end,
        receive {first, FirstResult} -> ?assertEqual(ok, FirstResult) after 5000 -> erlang:error(First) end,
        %% The writer found k-late, past its deadline, and wrote it all the same.
        receive writing -> Writer ! go_on after 5000 -> erlang:error(never_wrote_the_late_line) end,
        receive {written, 1} -> ok after 5000 -> erlang:error(never_written) end,
        ?assertEqual([<<"k-late">>, <<"k-first">>, <<"k-late">>], keys(Log)),
        exit(Writer, kill)
    end).

%% A flush that stalls past every caller's wait, with more callers than own writes allowed at
%% once: those told the disk does not answer still have their lines written once it does.
keeps_every_line_of_a_flush_that_stalls_past_every_wait_test() ->
    with_log(fun(Log) ->
        Self = self(),
        Write = fun(Path, Lines) ->
            Self ! writing,
            receive go_on -> ok end,
            commitlog_failure_log:append_lines(Path, Lines)
        end,
        Writer = commitlog_failure_writer:start(Write),
        spawn(fun() -> commitlog_failure_writer:append(Writer, Log, line(<<"k-0">>), 5000) end),
        receive writing -> ok after 5000 -> erlang:error(never_writing) end,
        Results = append_from_many(Writer, Log, 10, 20),
        %% Four wrote their own lines; the others were told the disk does not answer.
        ?assertEqual(4, length([ok || ok <- Results])),
        Writer ! go_on,
        receive writing -> Writer ! go_on after 5000 -> erlang:error(never_wrote_the_rest) end,
        Keys = [<<"k-", (integer_to_binary(N))/binary>> || N <- lists:seq(0, 10)],
        ok = wait_for_keys(Log, Keys),
        exit(Writer, kill)
    end).

wait_for_keys(Log, Keys) -> wait_for_keys(Log, Keys, 50).
wait_for_keys(Log, Keys, 0) -> ?assertEqual([], Keys -- keys(Log));
wait_for_keys(Log, Keys, Tries) ->
    case Keys -- keys(Log) of
        [] -> ok;
        _ -> timer:sleep(100), wait_for_keys(Log, Keys, Tries - 1)
    end.

%% The node's own writer: registered, started by the first append, one for racing callers.
the_registered_writer_is_started_once_and_keeps_every_line_test() ->
    with_log(fun(Log) ->
        Results = append_from_many(registered, Log, 20, unused),
        ?assertEqual(lists:duplicate(20, ok), Results),
        ?assertEqual(20, length(keys(Log))),
        Writers = [
            P
         || P <- processes(),
            {dictionary, D} <- [process_info(P, dictionary)],
            proplists:get_value(commitlog_lazy_process, D) =:= commitlog_failure_writer
        ],
        ?assertEqual([whereis(commitlog_failure_writer)], Writers)
    end).

%% A disk that stops answering (a write that never returns until the test lets it): a caller's
%% own write is given up after its bound and said as an error, rather than hold Riak's put for as
%% long as the disk does; past four such writes waiting at once, a caller is told at once; and a
%% write that ends later leaves nothing in its caller's mailbox.
a_caller_whose_own_write_hangs_is_told_rather_than_held_test_() ->
    {timeout, 60, fun() ->
        Self = self(),
        Hung = fun(_Path, _Lines) ->
            Self ! {hung, self()},
            receive go_on -> ok end
        end,
        Own = fun(Key) -> commitlog_failure_writer:own_write(Hung, "/nonexistent/log", line(Key)) end,
        Callers = [
            spawn(fun() ->
                Self ! {own, N, Own(<<"k">>)},
                receive check -> Self ! {mailbox, N, process_info(self(), messages)} end
            end)
         || N <- [1, 2, 3, 4]
        ],
        Writers = [receive {hung, W} -> W after 10000 -> erlang:error(not_hung) end || _ <- Callers],
        ?assertEqual(4, own_writes_now()),
        %% Four waiting on the disk: the fifth is told at once, and writes nothing.
        ?assertEqual({error, disk_not_answering}, Own(<<"k-5">>)),
        receive {hung, _} -> erlang:error(a_fifth_write) after 0 -> ok end,
        Results = [receive {own, N, R} -> R after 10000 -> erlang:error({no_answer, N}) end || N <- [1, 2, 3, 4]],
        ?assertEqual(lists:duplicate(4, {error, disk_not_answering}), Results),
        %% The disk answers at last: the writes end, and their count with them.
        [W ! go_on || W <- Writers],
        wait_until(fun() -> own_writes_now() =:= 0 end),
        [C ! check || C <- Callers],
        [
            receive {mailbox, N, Mailbox} -> ?assertEqual({messages, []}, Mailbox) after 5000 -> erlang:error({no_mailbox, N}) end
         || N <- [1, 2, 3, 4]
        ]
    end}.

own_writes_now() ->
    atomics:get(persistent_term:get({commitlog_failure_writer, own_writes}), 1).

wait_until(Check) -> wait_until(Check, 500).
wait_until(Check, 0) -> ?assert(Check());
wait_until(Check, Tries) ->
    case Check() of
        true -> ok;
        false -> timer:sleep(20), wait_until(Check, Tries - 1)
    end.

%% A line of Size bytes (its newline included), as a large commit's: each line holds its whole
%% commit. The tests send one binary many times (shared, not copied): what counts against the
%% bound is each line's size, as in a node, where each is a commit of its own.
big_line(Size) ->
    Head = <<"{\"commit\":{\"key\":\"k-big\",\"value\":\"">>,
    Tail = <<"\"}}\n">>,
    Pad = binary:copy(<<"x">>, Size - byte_size(Head) - byte_size(Tail)),
    <<Head/binary, Pad/binary, Tail/binary>>.

lines_in(Log) ->
    case file:read_file(Log) of
        {ok, Bin} -> length(binary:split(Bin, <<"\n">>, [global, trim_all]));
        {error, enoent} -> 0
    end.

queued_bytes(Writer) ->
    {messages, Queued} = process_info(Writer, messages),
    lists:sum([byte_size(L) || {append, _, _, L, _} <- Queued]).

%% A writer stuck on its disk with 64 MiB of lines waiting (8 lines of 8 MiB, far fewer than a
%% group's worth): a caller writes its own line at once, adding nothing to the stuck writer's
%% mailbox. Bounded in lines only, 512 such lines (4 GB) could wait there, in Riak's VM.
a_writer_with_64_mib_waiting_is_passed_by_test_() ->
    {timeout, 60, fun() ->
        with_log(fun(Log) ->
            Self = self(),
            Write = fun(_Path, _Lines) ->
                Self ! stuck,
                receive never -> ok end
            end,
            Writer = commitlog_failure_writer:start(Write),
            Line = big_line(8 bsl 20),
            Append = fun() ->
                spawn(fun() -> commitlog_failure_writer:append(Writer, Log, Line, 600000) end)
            end,
            %% The writer stuck on a line first (taken off what waits), then 8 queued behind it.
            First = Append(),
            receive stuck -> ok after 5000 -> erlang:error(never_stuck) end,
            Callers = [First | [Append() || _ <- lists:seq(1, 8)]],
            wait_until_queued(Writer, 8),
            %% With a wait of ten minutes: only passing the writer by returns before eunit's
            %% timeout.
            ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, Line, 600000)),
            ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, Line, 600000)),
            ?assertEqual(2, lines_in(Log)),
            ?assertEqual(64 bsl 20, queued_bytes(Writer)),
            [exit(P, kill) || P <- Callers],
            wait_until_dead(Callers),
            exit(Writer, kill)
        end)
    end}.

%% The bytes a dead writer never took do not count against the next one, and the lines a writer
%% takes come off its count.
a_new_writer_starts_with_nothing_waiting_test_() ->
    {timeout, 60, fun() ->
        with_log(fun(Log) ->
            Self = self(),
            Stuck = commitlog_failure_writer:start(fun(_, _) ->
                Self ! stuck,
                receive never -> ok end
            end),
            Line = big_line(8 bsl 20),
            Append = fun(Writer) ->
                spawn(fun() -> commitlog_failure_writer:append(Writer, Log, Line, 600000) end)
            end,
            First = Append(Stuck),
            receive stuck -> ok after 5000 -> erlang:error(never_stuck) end,
            Callers = [First | [Append(Stuck) || _ <- lists:seq(1, 8)]],
            wait_until_queued(Stuck, 8),
            [exit(P, kill) || P <- Callers],
            wait_until_dead(Callers),
            exit(Stuck, kill),
            wait_until_dead([Stuck]),
            Writer = commitlog_failure_writer:start(fun(_, Lines) -> Self ! {wrote, Lines}, ok end),
            Results = append_from_many(Writer, Log, 3, 600000),
            ?assertEqual([ok, ok, ok], Results),
            %% All three went through the new writer, none was written by its caller.
            ?assertEqual(0, lines_in(Log)),
            ?assertEqual(3, length(lists:append(wrote()))),
            {Writer, Count} = persistent_term:get({commitlog_failure_writer, waiting_bytes}),
            ?assertEqual(0, atomics:get(Count, 1)),
            ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, Line, 600000)),
            ?assertEqual([[Line]], wrote()),
            ?assertEqual(0, atomics:get(Count, 1)),
            exit(Writer, kill)
        end)
    end}.

%% A count left high (a caller killed between counting its line and sending it) is set back to
%% 0 once the writer is idle: kept, it would add up over the writer's life and at 64 MiB pass
%% the writer by for every put.
an_idle_writer_forgets_a_count_left_high_test() ->
    with_log(fun(Log) ->
        Self = self(),
        Writer = commitlog_failure_writer:start(fun(_, Lines) -> Self ! {wrote, Lines}, ok end),
        ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, <<"a">>, 5000)),
        {Writer, Count} = persistent_term:get({commitlog_failure_writer, waiting_bytes}),
        atomics:add(Count, 1, 64 bsl 20),
        wait_until(fun() -> atomics:get(Count, 1) =:= 0 end),
        ?assertEqual(ok, commitlog_failure_writer:append(Writer, Log, <<"b">>, 5000)),
        ?assertEqual([[<<"a">>], [<<"b">>]], wrote()),
        ?assertEqual(0, lines_in(Log)),
        exit(Writer, kill)
    end).

wrote() ->
    receive
        {wrote, Lines} -> [Lines | wrote()]
    after 0 -> []
    end.
