%%% commitlog_failure_writer: the failure log's lines of a node, written by one process in
%%% groups, each group with one write and one disk flush (group commit). A failure-log line costs
%%% a flush (fdatasync) before its commit counts as kept; written by each put process itself, an
%%% ingest outage made every put of the node wait for a flush of its own, queued on the VM's
%%% dirty I/O threads (10 by default, which Riak's own file I/O uses too). Grouped, the lines of
%%% the commits that fail while a flush runs go in the next one: a flush or two per put at any
%%% rate, and one dirty I/O thread.
%%%
%%% The process is registered as `commitlog_failure_writer`, started by the first append and
%%% supervised by nobody (commitlog_lazy_process). A caller whose writer dies, or does not answer
%%% within `WAIT_MS` (1 s), writes its line itself, as before (commitlog_failure_log:append_lines/2):
%%% the writer still writes the lines whose callers stopped waiting, so a line may be in the log
%%% twice, which a replay answers as a duplicate. A caller that finds a group's worth of lines
%%% (512), or 64 MiB of them, already waiting for the writer writes its line itself at once: the
%%% writer is stuck on its disk, and neither its mailbox nor every failing put's wait should grow
%%% with it. Each line holds a whole commit (a value of up to 16 MiB, base64'd): bounded in lines
%%% only, the mailbox of a writer stuck on its disk could hold some 10 GB of Riak's memory. The
%%% bytes waiting are counted in an atomics that callers add to before they send a line and the
%%% writer takes from as it takes the line (waiting_bytes/1). A caller's own write is bounded
%%% too (own_write/2: 2 s, at most 4 at once). A line is never left unwritten without its caller
%%% being told.
%%%
%%% Inputs:  append(Path, Line): the failure log's path and a line made by
%%%          commitlog_failure_log:line/3. For tests: start(Write) makes an unregistered writer
%%%          that writes with Write(Path, Lines); append(Writer, Path, Line, WaitMs).
%%% Outputs: append/2,4 -> ok (the line is on disk) | {error, term()} (it could not be written).
%%% Errors:  none raised. The caller's mailbox never receives anything from the writer after
%%%          append has returned (the reply goes to a process alias, deactivated on time-out).
-module(commitlog_failure_writer).

-export([append/2]).
%% Internal: the loop, called fully qualified so that a new version of this module takes over
%% at the next group.
-export([loop/1]).

-ifdef(TEST).
-export([start/1, append/4, own_write/3]).
-endif.

-define(NAME, ?MODULE).
%% How long a caller waits for its group's flush before it writes its line itself: far longer
%% than a flush of a healthy local disk takes, and short against Riak's put (the hook holds a
%% put process meanwhile: the retry budget, then this at most, then its own flush).
-define(WAIT_MS, 1000).
%% How long the writer waits idle before it hibernates.
-ifdef(TEST).
%% Short in tests, which wait for an idle writer's reset.
-define(IDLE_MS, 300).
-else.
-define(IDLE_MS, 30000).
-endif.
%% The most a group holds: a group is what came in while the last flush ran, and a disk that
%% stalls must not make the writer hold (and then write in one call) without bound.
-define(MAX_GROUP_LINES, 512).
-define(MAX_GROUP_BYTES, 4194304).
%% Lines waiting for the writer past which a caller writes its own: a writer this far behind is
%% stuck on its disk (a hard-mounted NFS, a stalled device), and each line left in its mailbox
%% holds a whole commit, for as long as it is stuck.
-define(MAX_WAITING_LINES, ?MAX_GROUP_LINES).
%% The same in bytes: 16 groups' worth, a handful of the largest lines, far more than a healthy
%% disk leaves waiting; each line waiting holds its commit in Riak's VM.
-define(MAX_WAITING_BYTES, 67108864).
%% How long a caller waits for its own write of its line (see own_write/2): far longer than a
%% healthy disk's write and flush.
-define(OWN_WRITE_MS, 2000).
%% Own writes left waiting on the disk at once, past which a caller is told at once.
-define(MAX_OWN_WRITES, 4).

-spec append(file:name_all(), binary()) -> ok | {error, term()}.
append(Path, Line) ->
    Start = fun() ->
        %% It waits on the disk and does little else: at high priority its next group starts as
        %% soon as a flush ends, not after the busy put processes it keeps waiting get their turn.
        process_flag(priority, high),
        %% The lines waiting for it are not copied onto its heap, which a burst would grow.
        process_flag(message_queue_data, off_heap),
        ?MODULE:loop(fun commitlog_failure_log:append_lines/2)
    end,
    case commitlog_lazy_process:ensure(?NAME, Start) of
        undefined -> own_write(Path, Line);
        Writer -> append(Writer, Path, Line, ?WAIT_MS)
    end.

-ifdef(TEST).
start(Write) ->
    proc_lib:spawn(fun() -> loop(Write) end).
-endif.

append(Writer, Path, Line, WaitMs) ->
    case erlang:process_info(Writer, message_queue_len) of
        {message_queue_len, Waiting} when Waiting < ?MAX_WAITING_LINES ->
            append_if_room(Writer, Path, Line, WaitMs);
        _Behind ->
            own_write(Path, Line)
    end.

%% The line's bytes are counted before it is sent, so that the writer's taking them off (taken/1)
%% always comes after.
append_if_room(Writer, Path, Line, WaitMs) ->
    Waiting = waiting_bytes(Writer),
    Size = byte_size(Line),
    case atomics:add_get(Waiting, 1, Size) > ?MAX_WAITING_BYTES of
        true ->
            atomics:sub(Waiting, 1, Size),
            own_write(Path, Line);
        false ->
            append_through(Writer, Path, Line, WaitMs)
    end.

append_through(Writer, Path, Line, WaitMs) ->
    Alias = erlang:monitor(process, Writer, [{alias, reply_demonitor}]),
    %% Its last element (when the caller stops waiting) is read no more: kept so that a writer and
    %% callers of two loaded versions of this module still understand each other.
    Writer ! {append, Alias, Path, Line, commitlog_breaker:now_ms() + WaitMs},
    receive
        {Alias, Result} ->
            erlang:demonitor(Alias, [flush]),
            Result;
        {'DOWN', Alias, process, _, _} ->
            own_write(Path, Line)
    after WaitMs ->
        %% Deactivates the alias: an answer sent from now on is dropped, not delivered.
        erlang:demonitor(Alias, [flush]),
        receive
            {Alias, Result} -> Result
        after 0 -> own_write(Path, Line)
        end
    end.

%% The caller's own write of its line, bounded: done by a process of its own, waited for at most
%% OWN_WRITE_MS. A disk that stops answering (a hard-mounted NFS, a stalled device) held the put
%% process in that write for as long as it lasted, and each put that failed after it; now the
%% caller is told {error, disk_not_answering} (its commit is then logged by its identity and
%% counted as unkept, as for any failed write) and Riak's put goes on. A write that lands later
%% is a line more, a duplicate at replay. At most MAX_OWN_WRITES are left waiting on the disk at
%% once (each holds one of the VM's dirty I/O threads, which Riak's own file I/O uses too); past
%% them a caller is told at once.
own_write(Path, Line) ->
    own_write(fun commitlog_failure_log:append_lines/2, Path, Line).

own_write(Write, Path, Line) ->
    Count = own_writes(),
    case atomics:add_get(Count, 1, 1) > ?MAX_OWN_WRITES of
        true ->
            atomics:sub(Count, 1, 1),
            {error, disk_not_answering};
        false ->
            Alias = erlang:alias([explicit_unalias]),
            {Pid, Monitor} = spawn_monitor(fun() ->
                Result =
                    try
                        Write(Path, [Line])
                    catch
                        Class:Error -> {error, {Class, Error}}
                    after
                        atomics:sub(Count, 1, 1)
                    end,
                Alias ! {Alias, Result}
            end),
            receive
                {Alias, Result} ->
                    erlang:unalias(Alias),
                    erlang:demonitor(Monitor, [flush]),
                    Result;
                {'DOWN', Monitor, process, Pid, Reason} ->
                    erlang:unalias(Alias),
                    {error, {writer_down, Reason}}
            after ?OWN_WRITE_MS ->
                %% Unaliased first: a reply sent from now on is dropped, never left in the
                %% caller's (Riak's put process's) mailbox.
                erlang:unalias(Alias),
                erlang:demonitor(Monitor, [flush]),
                receive
                    {Alias, Result} -> Result
                after 0 -> {error, disk_not_answering}
                end
            end
    end.

%% The count of own writes under way, an atomics kept in persistent_term: created on first use
%% (two first callers may both create one, and the loser's count is lost: one write more).
own_writes() ->
    Name = {?MODULE, own_writes},
    case persistent_term:get(Name, undefined) of
        undefined ->
            Ref = atomics:new(1, [{signed, true}]),
            persistent_term:put(Name, Ref),
            Ref;
        Ref ->
            Ref
    end.

%% The count of the bytes of the lines sent to Writer and not taken by it yet, an atomics kept in
%% persistent_term with Writer's pid. A writer that differs from the one there (it died, and a
%% new one was started) gets a count of its own: the lines the dead one never took stay off it,
%% and cannot keep the new one passed by for good. (A new term in persistent_term costs a scan
%% of every process, once per writer started.) Two first callers of a new writer may both make
%% one: the lines counted on the one replaced are then taken off the other, which counts low
%% (taken/1), never high.
waiting_bytes(Writer) ->
    Name = {?MODULE, waiting_bytes},
    case persistent_term:get(Name, undefined) of
        {Writer, Ref} ->
            Ref;
        _NoneOrAnotherWriters ->
            Ref = atomics:new(1, [{signed, true}]),
            %% Kept only for a live writer: a caller still holding a dead one's pid (it died
            %% since the caller looked it up) must not replace the live one's count, and each
            %% put costs a scan of every process.
            is_process_alive(Writer) andalso persistent_term:put(Name, {Writer, Ref}),
            Ref
    end.

%% In the writer: the bytes of a line it takes from its mailbox, off its count. A count that goes
%% below 0 is set back to 0: it took a line that was not counted (sent by a caller of a version
%% that did not count, or counted on a count replaced since), and a count that low would only
%% let more than 64 MiB wait. (The other way, after a code load: the lines the writer takes in
%% the loop of the version before this one, its group then, are never taken off, and stay on the
%% count for the writer's life: one group's bytes.)
taken(Line) ->
    Me = self(),
    case persistent_term:get({?MODULE, waiting_bytes}, undefined) of
        {Me, Ref} ->
            case atomics:sub_get(Ref, 1, byte_size(Line)) of
                Below when Below < 0 -> atomics:add(Ref, 1, -Below);
                _ -> ok
            end;
        _NotMine ->
            ok
    end.

%% In the writer, idle: its count of waiting bytes back to 0.
reset_waiting_bytes() ->
    Me = self(),
    case persistent_term:get({?MODULE, waiting_bytes}, undefined) of
        {Me, Ref} -> atomics:put(Ref, 1, 0);
        _NotMine -> ok
    end.

-spec loop(fun((file:name_all(), [binary()]) -> ok | {error, term()})) -> no_return().
loop(Write) ->
    receive
        {append, _, _, Line, _} = First ->
            taken(Line),
            Group = gather([First], 1, byte_size(Line)),
            write_group(Write, Group),
            ?MODULE:loop(Write);
        _Unexpected ->
            ?MODULE:loop(Write)
    after ?IDLE_MS ->
        %% Idle, so nothing waits for it: its count starts again from 0. A count left high (a
        %% caller killed between counting its line and sending it; the group a code load took
        %% in the old loop) would otherwise stay for the writer's life, and at 64 MiB send every
        %% put to a write of its own. A line counted meanwhile is then taken off a count that
        %% did not hold it: low, never high (taken/1).
        reset_waiting_bytes(),
        %% Its heap goes (the last group's lines), and it wakes in this module's newest version,
        %% so that a second code load does not find it on the old one and kill it.
        erlang:hibernate(?MODULE, loop, [Write])
    end.

%% What else came in meanwhile, in arrival order, up to the group's limits. A line whose caller
%% has stopped waiting (its deadline passed while the disk was slow) is written all the same: that
%% caller may have written it itself (a duplicate, which a replay answers as one), or been told
%% the disk does not answer, past the own writes allowed at once; dropped, a disk slow for a
%% second more than a flush lost every such commit it would have kept.
gather(Acc, Count, Bytes) when Count >= ?MAX_GROUP_LINES; Bytes >= ?MAX_GROUP_BYTES ->
    lines(lists:reverse(Acc));
gather(Acc, Count, Bytes) ->
    receive
        {append, _, _, Line, _} = Next ->
            taken(Line),
            gather([Next | Acc], Count + 1, Bytes + byte_size(Line))
    after 0 ->
        lines(lists:reverse(Acc))
    end.

lines(Group) ->
    [{Alias, Path, Line} || {append, Alias, Path, Line, _StopsWaiting} <- Group].

%% One write per log (one, unless the configured path changed meanwhile), each caller told how
%% its own log's write went.
write_group(Write, Group) ->
    Paths = lists:usort([Path || {_, Path, _} <- Group]),
    lists:foreach(
        fun(Path) ->
            Lines = [Line || {_, P, Line} <- Group, P =:= Path],
            Result =
                try
                    Write(Path, Lines)
                catch
                    Class:Error -> {error, {Class, Error}}
                end,
            [Alias ! {Alias, Result} || {Alias, P, _} <- Group, P =:= Path]
        end,
        Paths
    ).
