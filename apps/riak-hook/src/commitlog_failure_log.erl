%%% commitlog_failure_log: the hook's failure log, one JSON line per commit that could not be
%%% handed off, for `commitlog requeue FILE` to replay.
%%%
%%% Inputs:  the log's path, a reason (atom), the exact commit JSON that was (or would have been)
%%%          posted, and the time of the failure (Unix microseconds).
%%% Output:  append/4 -> ok | {error, file:posix() | term()}; line/3 -> the line it writes:
%%%            {"failedAt":"2026-11-24T12:00:00.123456Z","reason":"http_503","commit":{...}}\n
%%%          `commit` is the posted body byte for byte (compact JSON, no newline in it). When the
%%%          file does not end with a newline (a write torn by a full disk), the line is written
%%%          with one in front, so it never shares a line with the torn half.
%%% Errors:  {error, Reason} when the file cannot be opened, written or flushed to disk (a missing
%%%          directory, permissions, a full disk, an I/O error); the caller logs the commit's
%%%          identity instead. `ok` means the line is on disk (fdatasync). Never raises.
%%%          A file the hook creates is made readable and writable by its owner only (0600): its
%%%          lines hold whole commits, payment data, and its directory is often a log directory
%%%          that log shippers read. A file that exists keeps the mode it has. "Created" is told by
%%%          the file's inode before and after the open, not by a look before it alone: a log moved
%%%          away (rotated) between that look and the open is created by the open all the same.
-module(commitlog_failure_log).

-include_lib("kernel/include/file.hrl").

-export([append/4, append_lines/2, line/3, check/1]).

-ifdef(TEST).
-export([append/5, append/6]).
-endif.

%% Whether a line could be appended now, without writing one: the file opens for append when it
%% exists; else a file can be made beside it (a probe, removed at once). What the hook finds out
%% at its first commit rather than in the outage when it first needs the log. The probe is made,
%% not inferred from the directory's mode bits: those say "writable" on a read-only mount, and
%% to root wherever the filesystem refuses it. Never raises.
-spec check(file:name_all()) -> ok | {error, term()}.
check(Path) ->
    try
        case file:read_file_info(Path, [raw]) of
            {ok, _} ->
                case open(Path) of
                    {ok, Fd} -> file:close(Fd);
                    {error, _} = Error -> Error
                end;
            {error, enoent} ->
                probe_beside(Path);
            {error, _} = Error ->
                Error
        end
    catch
        _:Reason -> {error, Reason}
    end.

probe_beside(Path) ->
    Suffix = ".check-" ++ integer_to_list(erlang:unique_integer([positive])),
    %% A binary path is raw bytes (not always UTF-8): extended as bytes.
    Probe =
        case is_binary(Path) of
            true -> <<Path/binary, (list_to_binary(Suffix))/binary>>;
            false -> Path ++ Suffix
        end,
    case file:open(Probe, [write, exclusive, raw]) of
        {ok, Fd} ->
            ok = file:close(Fd),
            _ = file:delete(Probe),
            ok;
        {error, _} = Error ->
            Error
    end.

-spec append(file:name_all(), atom(), iodata(), non_neg_integer()) -> ok | {error, term()}.
append(Path, Reason, CommitJson, FailedAtMicros) ->
    append(Path, Reason, CommitJson, FailedAtMicros, fun() -> ok end).

%% Several lines made by line/3, in one write and one flush, as append/4 writes one: what
%% commitlog_failure_writer writes for the commits that failed while its last flush ran.
-spec append_lines(file:name_all(), [binary()]) -> ok | {error, term()}.
append_lines(Path, Lines) ->
    write_lines(Path, Lines, fun() -> ok end, fun sync/2).

%% `BeforeOpen` runs between the look at the file and its open: the tests move the log away there,
%% as a rotation may.
append(Path, Reason, CommitJson, FailedAtMicros, BeforeOpen) ->
    append(Path, Reason, CommitJson, FailedAtMicros, BeforeOpen, fun sync/2).

%% `Sync` makes the written line durable before `ok` is returned (the tests stand in for it):
%% Sync(line, Fd) on the log, and Sync(directory, DirFd) on its directory when this append
%% created the log or the node has not flushed it since the log was made (dir_flushed/2), since a
%% new file's name is kept by its directory, and a log whose lines are on disk but whose name is
%% not is gone after a crash all the same. A line only in the page cache is lost with the host (a
%% power cut, a panic) up to half a minute later, and the hook has already said the commit went
%% to the log: the log is where a commit the ingest did not take is kept, so it is kept as Redis
%% keeps an accepted one (AOF `always`). It costs a disk flush per line (two for a log's first
%% line on each node), on the failure path only.
append(Path, Reason, CommitJson, FailedAtMicros, BeforeOpen, Sync) ->
    try line(Reason, CommitJson, FailedAtMicros) of
        Line -> write_lines(Path, [Line], BeforeOpen, Sync)
    catch
        Class:Error -> {error, {Class, Error}}
    end.

write_lines(Path, Lines, BeforeOpen, Sync) ->
    try
        %% One open(O_APPEND), one write(2) of the whole lines, one close, per call.
        %% Every Riak process that fails writes its line this way, at the same time as others:
        %% O_APPEND moves each write to the end of the file atomically, and a single write of a
        %% whole line to a local file is not interleaved with another, so lines never mix (that
        %% would need several writes per line, or a shared file descriptor). `raw` opens the file
        %% in the calling process: no file server process to queue behind. The file is never
        %% held open, so log rotation by moving the file needs nothing from the hook (a copy and
        %% truncate would lose the lines written between the two).
        Before = inode(Path),
        Before =:= none andalso forget_dir_flushed(Path),
        Before =:= none andalso create_owner_only(Path),
        BeforeOpen(),
        case open(Path) of
            {ok, Fd} ->
                After = inode(Path),
                Created = After =/= Before,
                Created andalso owner_only(Path),
                try
                    case file:write(Fd, [separator(Fd) | Lines]) of
                        ok ->
                            case Sync(line, Fd) of
                                ok ->
                                    case Created orelse not dir_flushed(Path, After) of
                                        true -> flush_dir(Path, After, Sync);
                                        false -> ok
                                    end;
                                NotSynced ->
                                    NotSynced
                            end;
                        {error, _} = NotWritten ->
                            NotWritten
                    end
                after
                    file:close(Fd)
                end;
            {error, _} = NotOpened ->
                NotOpened
        end
    catch
        Class:Error -> {error, {Class, Error}}
    end.

-spec line(atom(), iodata(), non_neg_integer()) -> binary().
line(Reason, CommitJson, FailedAtMicros) ->
    iolist_to_binary([
        commitlog_json:encode(
            {object, [
                %% A node clock past year 9999 must not cost the line, the commit's last keeping.
                {failedAt,
                    commitlog_time:micros_to_iso8601(
                        min(FailedAtMicros, commitlog_time:last_micros())
                    )},
                {reason, Reason},
                {commit, {json, CommitJson}}
            ]}
        ),
        $\n
    ]).

%%% Internal

sync(line, Fd) -> file:datasync(Fd);
sync(directory, Fd) -> file:sync(Fd).

%% Whether this node has flushed the directory since the log `Path` (the file `Inode`) was made.
%% Not only the append that creates a log flushes its directory: another process's append can
%% come between that creation and its flush, find the file there and return ok with its line on
%% disk under a name that is not, yet. So the first append of each process that finds the node
%% has not recorded the flush for this file flushes the directory as well; once one has, the
%% others skip it. Kept in persistent_term (the hook runs in Riak's processes and owns none):
%% written once per log file per node, on the failure path; an update costs the VM a scan of its
%% processes, once per rotation.
dir_flushed(Path, Inode) ->
    Inode =/= none andalso persistent_term:get({?MODULE, dir_flushed}, none) =:= {Path, Inode}.

%% Before this append makes a new log: the file it makes may get the inode number of a log of the
%% same name deleted since (a rotated one, compressed), and a record of that log would let
%% another process's append skip the flush of the new one. A log made outside the hook (logrotate's
%% `create`, which INSTALL.md advises against) on a reused inode number is not covered.
forget_dir_flushed(Path) ->
    case persistent_term:get({?MODULE, dir_flushed}, none) of
        {Path, _} -> persistent_term:erase({?MODULE, dir_flushed});
        _ -> false
    end.

flush_dir(Path, Inode, Sync) ->
    case sync_dir(Path, Sync) of
        ok when Inode =/= none ->
            dir_flushed(Path, Inode) orelse
                persistent_term:put({?MODULE, dir_flushed}, {Path, Inode}),
            ok;
        Flushed ->
            Flushed
    end.

%% The log's directory made durable (its entry for a log just created). Where the system cannot
%% do it, as PostgreSQL does for its own files: a directory the hook may write but not read
%% (eacces) cannot be opened to be flushed, and some file systems refuse to flush a directory
%% (einval, enotsup); the line is then as durable as the system allows, and the append is ok. Any
%% other failure (an I/O error) fails the append: its file's name may not survive a crash.
sync_dir(Path, Sync) ->
    case file:open(filename:dirname(Path), [read, raw, directory]) of
        {ok, Dir} ->
            try Sync(directory, Dir) of
                {error, Cannot} when Cannot =:= einval; Cannot =:= enotsup -> ok;
                Synced -> Synced
            after
                file:close(Dir)
            end;
        {error, Cannot} when Cannot =:= eacces; Cannot =:= einval; Cannot =:= enotsup ->
            ok;
        {error, Reason} ->
            {error, {directory_not_flushed, Reason}}
    end.

%% The file's inode, or `none` when there is no file (or it cannot be looked at).
inode(Path) ->
    case file:read_file_info(Path, [raw]) of
        {ok, #file_info{inode = Inode}} -> Inode;
        {error, _} -> none
    end.

%% A log not there yet is made owner-only before its name appears: made in a directory of its
%% own (closed before the file is made in it), its mode set, then linked to the log's name, which
%% fails harmlessly when another process made the log first. Made by the append's open and
%% chmodded after, a reader watching the directory could open it in the instant between and keep
%% reading every later line (permissions are checked at open). Best effort: where this cannot be
%% done (no hard links, say), the open makes the log and owner_only/1 closes it after.
create_owner_only(Path) ->
    Private = filename:join(
        filename:dirname(Path),
        ".commitlog-new-" ++ integer_to_list(erlang:unique_integer([positive]))
    ),
    case file:make_dir(Private) of
        ok ->
            New = filename:join(Private, "log"),
            try
                ok = file:write_file_info(Private, #file_info{mode = 8#700}, [raw]),
                {ok, Fd} = file:open(New, [write, exclusive, raw]),
                ok = file:close(Fd),
                ok = file:write_file_info(New, #file_info{mode = 8#600}, [raw]),
                _ = file:make_link(New, Path)
            catch
                _:_ -> ok
            after
                _ = file:delete(New),
                _ = file:del_dir(Private)
            end,
            true;
        {error, _} ->
            true
    end.

%% Best effort: a file system without modes still takes the line.
owner_only(Path) ->
    _ = file:write_file_info(Path, #file_info{mode = 8#600}, [raw]),
    true.

%% Read access only to look at the last byte (separator/1); a log the hook may append to but
%% not read still takes lines.
open(Path) ->
    case file:open(Path, [read, append, raw, binary]) of
        {error, eacces} -> file:open(Path, [append, raw, binary]);
        Opened -> Opened
    end.

%% A write that failed part-way (a full disk: enospc) leaves a line without its newline at the
%% end of the file, and the next line would be glued to it: two commits lost to the reader.
%% So a line starts with a newline of its own when the file does not end with one: the torn
%% half stays alone on its line (`commitlog requeue` names it as malformed; that commit was
%% reported by its writer's {error, _}), and every whole line stays whole. When the last byte
%% cannot be read, the newline is written anyway: an empty line costs nothing (the reader
%% skips it), a glued one costs two commits. Not a newline always: the file keeps exactly one
%% line per commit, for the people and scripts that count them. What this cannot cover: a
%% write torn in the instant between another process's look at the last byte and its write.
separator(Fd) ->
    case file:position(Fd, eof) of
        {ok, 0} ->
            <<>>;
        {ok, Size} ->
            case file:pread(Fd, Size - 1, 1) of
                {ok, <<"\n">>} -> <<>>;
                _NotANewline -> <<"\n">>
            end;
        {error, _} ->
            <<"\n">>
    end.
