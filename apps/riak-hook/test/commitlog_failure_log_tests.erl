%% The failure log on its own: what `commitlog requeue` reads back, one JSON object per line.
-module(commitlog_failure_log_tests).

-include_lib("eunit/include/eunit.hrl").
-include_lib("kernel/include/file.hrl").

-define(COMMIT, <<"{\"bucket\":\"b\",\"key\":\"k-after-torn\",\"op\":\"put\"}">>).

with_log(Test) ->
    commitlog_test_log:with_log("commitlog-failure-log-test", Test).

%% What the requeue reader does (apps/cli/src/commands/requeue.ts): split on newlines, skip
%% blank lines, parse each of the others on its own.
lines(Log) ->
    {ok, Bin} = file:read_file(Log),
    [L || L <- binary:split(Bin, <<"\n">>, [global]), string:trim(L) =/= <<>>].

decodes(Line) ->
    try commitlog_test_json:decode(Line) of
        _ -> true
    catch
        _:_ -> false
    end.

%% A write torn by a full disk leaves half a line with no newline at the end of the log; the
%% next line still lands on a line of its own, whole and readable.
line_after_a_torn_write_is_on_its_own_line_test() ->
    with_log(fun(Log) ->
        First = commitlog_failure_log:line(timeout, <<"{\"key\":\"k-whole\"}">>, 1764000000000000),
        Torn = <<"{\"failedAt\":\"2025-11-24T16:00:00.000001Z\",\"reason\":\"time">>,
        ok = file:write_file(Log, [First, Torn]),
        ok = commitlog_failure_log:append(Log, http_503, ?COMMIT, 1764000000000002),
        [Line1, Line2, Line3] = lines(Log),
        ?assertEqual(First, <<Line1/binary, "\n">>),
        ?assertEqual(Torn, Line2),
        ?assertNot(decodes(Line2)),
        ?assertMatch(
            #{<<"reason">> := <<"http_503">>, <<"commit">> := #{<<"key">> := <<"k-after-torn">>}},
            commitlog_test_json:decode(Line3)
        ),
        %% And the log ends with a newline again: the line after that needs none in front.
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000003),
        {ok, Bin} = file:read_file(Log),
        ?assertEqual(4, length(binary:split(Bin, <<"\n">>, [global, trim_all]))),
        ?assertEqual($\n, binary:last(Bin))
    end).

%% A log that ends with a newline (every log no write was torn in) gets exactly one line per
%% append, with no empty line in front.
clean_log_gets_exactly_one_line_per_append_test() ->
    with_log(fun(Log) ->
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000001),
        ok = commitlog_failure_log:append(Log, http_503, ?COMMIT, 1764000000000002),
        ?assertEqual(
            iolist_to_binary([
                commitlog_failure_log:line(timeout, ?COMMIT, 1764000000000001),
                commitlog_failure_log:line(http_503, ?COMMIT, 1764000000000002)
            ]),
            element(2, file:read_file(Log))
        )
    end).

%% The lines are whole commits (payment data): a log the hook creates is its owner's alone,
%% whatever the umask; a log someone else created keeps its mode.
created_log_is_readable_by_its_owner_only_test() ->
    with_log(fun(Log) ->
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000),
        {ok, #file_info{mode = Mode}} = file:read_file_info(Log, [raw]),
        ?assertEqual(8#600, Mode band 8#777),
        ok = file:change_mode(Log, 8#640),
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000001),
        {ok, #file_info{mode = Kept}} = file:read_file_info(Log, [raw]),
        ?assertEqual(8#640, Kept band 8#777),
        ?assertEqual(2, length(lines(Log)))
    end).

%% A new log is its owner's alone from the moment its name appears, not chmodded after the
%% open that made it: a reader watching the directory could open it in between and keep reading.
%% Nothing else is left in the directory.
new_log_appears_owner_only_test() ->
    with_log(fun(Log) ->
        Test = self(),
        Seen = fun() ->
            {ok, #file_info{mode = Mode, size = 0}} = file:read_file_info(Log, [raw]),
            Test ! {seen, Mode band 8#777}
        end,
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000, Seen),
        %% Looked at once, before the open: a check that never ran would prove nothing.
        ?assertEqual([{seen, 8#600}], drain_seen()),
        ?assertEqual(1, length(lines(Log))),
        ?assertEqual({ok, ["failed.jsonl"]}, file:list_dir(filename:dirname(Log)))
    end).

%% A rotation that moves the log away between the hook's look at it and its open: the open
%% creates the new log, which is its owner's alone too; the moved one keeps its mode and lines.
log_moved_away_just_before_the_open_is_created_owner_only_test() ->
    with_log(fun(Log) ->
        Rotated = Log ++ ".1",
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000),
        ok = file:change_mode(Log, 8#640),
        try
            ok = commitlog_failure_log:append(
                Log, timeout, ?COMMIT, 1764000000000001, fun() -> ok = file:rename(Log, Rotated) end
            ),
            {ok, #file_info{mode = Mode}} = file:read_file_info(Log, [raw]),
            ?assertEqual(8#600, Mode band 8#777),
            ?assertEqual(1, length(lines(Log))),
            {ok, #file_info{mode = Kept}} = file:read_file_info(Rotated, [raw]),
            ?assertEqual(8#640, Kept band 8#777),
            ?assertEqual(1, length(lines(Rotated)))
        after
            _ = file:delete(Rotated)
        end
    end).

%% A line is flushed to disk before the append says ok: `Sync` runs on the open file, after the
%% whole line is written, and, when the append created the log, then on its directory (which
%% holds the new file's name); only the log's first line on a node pays for the directory. A
%% flush that fails (an I/O error) fails the append, so the hook logs the commit's identity
%% rather than count on a line that may not be on disk.
line_is_flushed_to_disk_before_ok_test() ->
    with_log(fun(Log) ->
        Flushed = reporting_sync(Log),
        NoOp = fun() -> ok end,
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000, NoOp, Flushed),
        ?assertEqual([{synced, line, 1}, {synced, directory, 1}], drain_synced()),
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000001, NoOp, Flushed),
        ?assertEqual([{synced, line, 2}], drain_synced()),
        Failing = fun(line, _Fd) -> {error, eio} end,
        ?assertEqual(
            {error, eio},
            commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000002, NoOp, Failing)
        )
    end).

%% A log another process has just made, and whose directory it has not flushed yet: an append
%% that finds the file there flushes the directory as well, or its ok would stand for a line
%% whose file's name a crash can still take. Once flushed, later appends skip it.
log_made_by_another_process_gets_its_directory_flushed_test() ->
    with_log(fun(Log) ->
        Flushed = reporting_sync(Log),
        NoOp = fun() -> ok end,
        ok = file:write_file(Log, <<>>),
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000, NoOp, Flushed),
        ?assertEqual([{synced, line, 1}, {synced, directory, 1}], drain_synced()),
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000001, NoOp, Flushed),
        ?assertEqual([{synced, line, 2}], drain_synced())
    end).

%% An append about to make a new log forgets the node's record for that name first: the new file
%% may get the inode number of the old one (deleted since), and the record would then let other
%% processes skip the flush of the new log's directory.
new_log_forgets_the_record_of_the_old_one_test() ->
    with_log(fun(Log) ->
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000),
        Key = {commitlog_failure_log, dir_flushed},
        ?assertMatch({Log, _}, persistent_term:get(Key, none)),
        ok = file:delete(Log),
        Seen = fun() -> self() ! {seen, persistent_term:get(Key, none)} end,
        Flushed = fun
            (line, Fd) -> file:datasync(Fd);
            (directory, Fd) -> file:sync(Fd)
        end,
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000001, Seen, Flushed),
        ?assertEqual([{seen, none}], drain_seen()),
        ?assertMatch({Log, _}, persistent_term:get(Key, none))
    end).

%% Some file systems refuse to flush a directory (einval, enotsup): the line is then as durable
%% as the system allows, and the append is ok.
directory_flush_a_file_system_refuses_is_ok_test() ->
    with_log(fun(Log) ->
        NoOp = fun() -> ok end,
        Refused = directory_answers({error, einval}),
        ?assertEqual(
            ok,
            commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000, NoOp, Refused)
        ),
        ?assertEqual(1, length(lines(Log)))
    end).

%% The directory of a log just created is flushed too; when that fails, so does the append (the
%% line is written, but its file's name may not survive a crash). A log moved away and made
%% again by the open counts as created.
failed_directory_flush_fails_the_append_test() ->
    with_log(fun(Log) ->
        NoOp = fun() -> ok end,
        DirFails = directory_answers({error, eio}),
        ?assertEqual(
            {error, eio},
            commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000000, NoOp, DirFails)
        ),
        ?assertEqual(1, length(lines(Log))),
        %% Not flushed yet: the next append tries again, and fails while the flush does.
        ?assertEqual(
            {error, eio},
            commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000001, NoOp, DirFails)
        ),
        ok = commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000002),
        %% Flushed once: the directory is not asked again for this log.
        ?assertEqual(
            ok,
            commitlog_failure_log:append(Log, timeout, ?COMMIT, 1764000000000003, NoOp, DirFails)
        ),
        Rotated = Log ++ ".1",
        try
            MoveAway = fun() -> ok = file:rename(Log, Rotated) end,
            ?assertEqual(
                {error, eio},
                commitlog_failure_log:append(
                    Log, timeout, ?COMMIT, 1764000000000004, MoveAway, DirFails
                )
            )
        after
            _ = file:delete(Rotated)
        end
    end).

drain_seen() ->
    receive
        {seen, _} = Seen -> [Seen | drain_seen()]
    after 0 -> []
    end.

%% A `Sync` for append/6 that flushes (file:sync, lines and directory alike), and first tells the
%% test process what it flushes and how many lines the log holds by then.
reporting_sync(Log) ->
    Self = self(),
    fun(What, Fd) ->
        Self ! {synced, What, length(lines(Log))},
        file:sync(Fd)
    end.

%% A `Sync` for append/6 that flushes lines and answers `Answer` for the directory, unflushed.
directory_answers(Answer) ->
    fun
        (line, Fd) -> file:datasync(Fd);
        (directory, _Fd) -> Answer
    end.

drain_synced() ->
    receive
        {synced, _, _} = Synced -> [Synced | drain_synced()]
    after 0 -> []
    end.

%% What the hook checks at its first commit: a log it could append to passes, whether the file is
%% there or only its directory, and writes nothing; a missing directory, a directory it may not
%% write and a path under a file do not.
check_tells_a_writable_log_from_one_that_is_not_test() ->
    with_log(fun(Log) ->
        ?assertEqual(ok, commitlog_failure_log:check(Log)),
        ?assertEqual({error, enoent}, file:read_file_info(Log)),
        ok = file:write_file(Log, <<>>),
        ?assertEqual(ok, commitlog_failure_log:check(Log)),
        ?assertEqual({ok, <<>>}, file:read_file(Log)),
        ?assertMatch({error, _}, commitlog_failure_log:check(filename:join([Log, "under-a-file"]))),
        ?assertMatch(
            {error, enoent}, commitlog_failure_log:check("/nonexistent-commitlog-dir/failed.jsonl")
        ),
        %% A directory the hook may not write: sysfs refuses even root, so this runs everywhere.
        ?assertEqual({error, eacces}, commitlog_failure_log:check("/sys/commitlog-failed.jsonl"))
    end).

%% A path of bytes that are not UTF-8 (a raw file name): checked and written as those bytes.
raw_byte_path_is_checked_and_written_as_its_bytes_test() ->
    with_log(fun(Log) ->
        Raw = <<(list_to_binary(filename:dirname(Log)))/binary, "/failed-", 16#ff, ".jsonl">>,
        try
            ?assertEqual(ok, commitlog_failure_log:check(Raw)),
            ok = commitlog_failure_log:append(Raw, timeout, ?COMMIT, 1764000000000000),
            ?assertEqual(ok, commitlog_failure_log:check(Raw)),
            {ok, Bin} = file:read_file(Raw),
            ?assertMatch([_], binary:split(Bin, <<"\n">>, [global, trim_all]))
        after
            _ = file:delete(Raw)
        end
    end).

%% A node whose clock is past year 9999 (its hand-offs all refused for their time) still keeps
%% every commit: the line says the last time four digits can.
a_clock_past_year_9999_still_writes_the_line_test() ->
    Line = commitlog_failure_log:line(timeout, <<"{\"key\":\"k-far\"}">>, 300000000000000000),
    ?assertMatch({_, _}, binary:match(Line, <<"\"failedAt\":\"9999-12-31T23:59:59.999999Z\"">>)),
    ?assertMatch({_, _}, binary:match(Line, <<"k-far">>)).
