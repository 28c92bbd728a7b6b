-module(commitlog_time_tests).

-include_lib("eunit/include/eunit.hrl").

micros_and_timestamps_have_six_zero_padded_fraction_digits_test() ->
    ?assertEqual(
        <<"2025-11-24T16:00:00.000001Z">>, commitlog_time:micros_to_iso8601(1764000000000001)
    ),
    ?assertEqual(<<"1970-01-01T00:00:00.000000Z">>, commitlog_time:micros_to_iso8601(0)),
    ?assertEqual(
        {ok, commitlog_time:micros_to_iso8601(1764000000123456)},
        commitlog_time:timestamp_to_iso8601({1764, 0, 123456})
    ).

years_past_9999_are_not_written_test() ->
    ?assertEqual(
        {ok, <<"9999-12-31T23:59:59.999999Z">>},
        commitlog_time:timestamp_to_iso8601({253402, 300799, 999999})
    ),
    ?assertEqual(error, commitlog_time:timestamp_to_iso8601({253402, 300800, 0})),
    ?assertEqual(error, commitlog_time:timestamp_to_iso8601({300000, 0, 0})),
    ?assertError(function_clause, commitlog_time:micros_to_iso8601(253402300800000000)),
    ?assertEqual(error, commitlog_time:rfc1123_to_iso8601("Sat, 01 Jan 10000 00:00:00 GMT")),
    ?assertEqual(error, commitlog_time:rfc1123_to_iso8601("Sun, 06 Nov 1960 08:49:37 GMT")).

rfc1123_reads_as_riak_wrote_it_and_nothing_else_test() ->
    ?assertEqual(
        {ok, <<"1994-11-06T08:49:37.000000Z">>},
        commitlog_time:rfc1123_to_iso8601("Sun, 06 Nov 1994 08:49:37 GMT")
    ),
    ?assertEqual(error, commitlog_time:rfc1123_to_iso8601("Sun, 06 Nov 1994 08:49:37 CET")),
    ?assertEqual(error, commitlog_time:rfc1123_to_iso8601("yesterday")).

negative_micros_raise_test() ->
    ?assertError(function_clause, commitlog_time:micros_to_iso8601(-1)).
