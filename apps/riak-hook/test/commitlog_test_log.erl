%% A failure log in a directory of its own under /tmp, removed after the test.
-module(commitlog_test_log).

-export([with_log/2]).

with_log(Prefix, Test) ->
    %% The OS pid too: a new VM counts its unique integers from the start again.
    Dir = filename:join(
        "/tmp",
        Prefix ++ "-" ++ os:getpid() ++ "-" ++ integer_to_list(erlang:unique_integer([positive]))
    ),
    Log = filename:join(Dir, "failed.jsonl"),
    ok = filelib:ensure_dir(Log),
    try
        Test(Log)
    after
        _ = file:delete(Log),
        _ = file:del_dir(Dir)
    end.
