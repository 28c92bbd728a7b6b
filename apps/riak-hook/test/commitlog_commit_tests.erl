%% The commit JSON the hook builds from riak_objects (commitlog_hook:commit_json/1), checked
%% against DESIGN.md "Ingest HTTP API, v1", using the test stand-in for riak_object.
-module(commitlog_commit_tests).

-include_lib("eunit/include/eunit.hrl").

-define(VC, [{<<"node-a">>, {3, 63900000000}}, {<<"node-b">>, {1, 63900000007}}]).

%% An object the way Riak hands it over: contents as [{MetadataDict, Value}] and a vclock.
obj(Bucket, Key, Contents) ->
    O = riak_object:new(Bucket, Key, <<"placeholder">>),
    riak_object:set_vclock(riak_object:set_contents(O, Contents), ?VC).

md(Pairs) -> dict:from_list(Pairs).

commit(Obj) -> commitlog_test_json:decode(commitlog_hook:commit_json(Obj)).

sibling(Commit, N) -> lists:nth(N, maps:get(<<"siblings">>, Commit)).

single_sibling_put_is_exactly_the_designed_json_test() ->
    MD = md([
        {<<"content-type">>, "application/json"},
        {<<"X-Riak-VTag">>, "6dGz2BZ3yRlKBkhwVu1Sju"},
        {<<"X-Riak-Last-Modified">>, {1764, 0, 123456}},
        {<<"X-Riak-Meta">>, [{"X-Riak-Meta-Origin", "api"}]},
        {<<"index">>, [{<<"customer_bin">>, <<"c-9">>}]}
    ]),
    Obj = obj(<<"transactions">>, <<"txn-123">>, [{MD, <<"{\"amount\":100}">>}]),
    VClock = base64:encode(riak_object:encode_vclock(?VC)),
    Expected = iolist_to_binary([
        <<"{\"bucketType\":\"default\",\"bucket\":\"transactions\",\"key\":\"txn-123\",">>,
        <<"\"op\":\"put\",\"vclock\":\"">>, VClock, <<"\",\"siblings\":[{">>,
        <<"\"value\":\"eyJhbW91bnQiOjEwMH0=\",\"contentType\":\"application/json\",">>,
        <<"\"vtag\":\"6dGz2BZ3yRlKBkhwVu1Sju\",\"lastModified\":\"2025-11-24T16:00:00.123456Z\",">>,
        <<"\"usermeta\":{\"X-Riak-Meta-Origin\":\"api\"},">>,
        <<"\"indexes\":{\"customer_bin\":[\"c-9\"]}}]}">>
    ]),
    ?assertEqual(Expected, commitlog_hook:commit_json(Obj)),
    %% Deterministic: the same object always gives the same bytes (the ingest ids by vclock, the
    %% failure log must hold what was posted).
    ?assertEqual(Expected, commitlog_hook:commit_json(Obj)).

vclock_is_what_the_http_api_sends_test() ->
    C = commit(obj(<<"b">>, <<"k">>, [{md([]), <<"v">>}])),
    Bytes = base64:decode(maps:get(<<"vclock">>, C)),
    ?assertEqual(term_to_binary({encode_raw, ?VC}), Bytes),
    ?assertEqual(?VC, riak_object:decode_vclock(Bytes)).

three_siblings_are_all_sent_in_order_test() ->
    Contents = [
        {md([{<<"content-type">>, "text/plain"}, {<<"X-Riak-VTag">>, "v1"}]), <<"one">>},
        {md([{<<"content-type">>, "text/plain"}, {<<"X-Riak-VTag">>, "v2"}]), <<"two">>},
        {md([{<<"content-type">>, "text/plain"}, {<<"X-Riak-VTag">>, "v3"}]), <<"three">>}
    ],
    Obj = obj(<<"b">>, <<"k">>, Contents),
    %% The stand-in crashes like Riak's get_value/1 does on siblings; the hook never calls it.
    ?assertError({badmatch, _}, riak_object:get_value(Obj)),
    C = commit(Obj),
    ?assertEqual(<<"put">>, maps:get(<<"op">>, C)),
    ?assertEqual(
        [<<"one">>, <<"two">>, <<"three">>],
        [base64:decode(maps:get(<<"value">>, S)) || S <- maps:get(<<"siblings">>, C)]
    ),
    ?assertEqual(
        [<<"v1">>, <<"v2">>, <<"v3">>],
        [maps:get(<<"vtag">>, S) || S <- maps:get(<<"siblings">>, C)]
    ).

tombstone_is_a_delete_with_its_siblings_test() ->
    Tomb = md([
        {<<"X-Riak-Deleted">>, "true"},
        {<<"X-Riak-VTag">>, "t1"},
        {<<"X-Riak-Last-Modified">>, {1764, 0, 0}}
    ]),
    C = commit(obj(<<"b">>, <<"k">>, [{Tomb, <<>>}])),
    ?assertEqual(<<"delete">>, maps:get(<<"op">>, C)),
    ?assertMatch([#{<<"value">> := <<>>, <<"vtag">> := <<"t1">>}], maps:get(<<"siblings">>, C)).

%% Metadata as a map (riak_kv's metadata_version v1, OpenRiak 3.4): read as a dict is.
metadata_kept_as_a_map_is_read_as_a_dict_is_test() ->
    Fields = [
        {<<"X-Riak-VTag">>, "t1"},
        {<<"X-Riak-Last-Modified">>, {1764, 0, 0}},
        {<<"content-type">>, "application/json"},
        {<<"index">>, [{<<"merchant_bin">>, <<"m-1">>}]}
    ],
    Tomb = [{<<"X-Riak-Deleted">>, "true"} | Fields],
    ?assertEqual(
        commit(obj(<<"b">>, <<"k">>, [{md(Tomb), <<>>}])),
        commit(obj(<<"b">>, <<"k">>, [{maps:from_list(Tomb), <<>>}]))
    ),
    ?assertEqual(
        <<"delete">>,
        maps:get(<<"op">>, commit(obj(<<"b">>, <<"k">>, [{maps:from_list(Tomb), <<>>}])))
    ),
    ?assertEqual(
        commit(obj(<<"b">>, <<"k">>, [{md(Fields), <<"{}">>}])),
        commit(obj(<<"b">>, <<"k">>, [{maps:from_list(Fields), <<"{}">>}]))
    ).

%% Metadata of a shape the hook does not know is not taken for "none" (a tombstone would be sent
%% as a put, its fields dropped): the JSON cannot be built, and the object goes to the failure log.
metadata_of_an_unknown_shape_is_not_read_as_none_test() ->
    ?assertError(_, commitlog_hook:commit_json(obj(<<"b">>, <<"k">>, [{{odd, shape}, <<>>}]))).

tombstone_marked_with_the_atom_true_is_a_delete_too_test() ->
    C = commit(obj(<<"b">>, <<"k">>, [{md([{<<"X-Riak-Deleted">>, true}]), <<>>}])),
    ?assertEqual(<<"delete">>, maps:get(<<"op">>, C)).

%% A tombstone as Riak stores it. Object format v1 (the default) keeps X-Riak-Deleted only when it
%% is true or "true": a protocol-buffers client's deleted = false stores a live object, so a put.
%% Format v0 keeps the marker as given, and Riak decides by its presence.
x_riak_deleted_is_decided_as_the_object_format_stores_it_test_() ->
    Op = fun(MD) ->
        C = commit(obj(<<"b">>, <<"k">>, [{md(MD), <<"v">>}])),
        maps:get(<<"op">>, C)
    end,
    InV0 = fun(MD) ->
        ok = application:set_env(riak_kv, object_format, v0),
        try
            Op(MD)
        after
            application:unset_env(riak_kv, object_format)
        end
    end,
    [
        ?_assertEqual(<<"put">>, Op([])),
        ?_assertEqual(<<"put">>, Op([{<<"content-type">>, "text/plain"}])),
        ?_assertEqual(<<"delete">>, Op([{<<"X-Riak-Deleted">>, true}])),
        ?_assertEqual(<<"delete">>, Op([{<<"X-Riak-Deleted">>, "true"}]))
    ] ++
        [
            ?_assertEqual(<<"put">>, Op([{<<"X-Riak-Deleted">>, Marker}]))
         || Marker <- [false, "false", <<"false">>, "", <<"true">>]
        ] ++
        [
            ?_assertEqual(<<"delete">>, InV0([{<<"X-Riak-Deleted">>, Marker}]))
         || Marker <- [true, "true", <<"true">>, false, "false", ""]
        ].

a_live_sibling_next_to_a_tombstone_is_a_put_test() ->
    Contents = [
        {md([{<<"X-Riak-Deleted">>, "true"}]), <<>>},
        {md([{<<"content-type">>, "text/plain"}]), <<"alive">>}
    ],
    C = commit(obj(<<"b">>, <<"k">>, Contents)),
    ?assertEqual(<<"put">>, maps:get(<<"op">>, C)),
    ?assertEqual(2, length(maps:get(<<"siblings">>, C))).

%% A delete racing a write under allow_mult: the put carries the tombstone as a sibling marked
%% deleted (last among its fields), so it cannot pass for a real empty value.
tombstone_sibling_of_a_put_is_marked_deleted_last_test() ->
    Tomb = md([
        {<<"X-Riak-Deleted">>, "true"},
        {<<"content-type">>, "text/plain"},
        {<<"X-Riak-VTag">>, "t1"},
        {<<"X-Riak-Last-Modified">>, {1764, 0, 0}}
    ]),
    Live = md([{<<"content-type">>, "text/plain"}, {<<"X-Riak-VTag">>, "v1"}]),
    Obj = obj(<<"b">>, <<"k">>, [{Live, <<"alive">>}, {Tomb, <<>>}]),
    VClock = base64:encode(riak_object:encode_vclock(?VC)),
    Expected = iolist_to_binary([
        <<"{\"bucketType\":\"default\",\"bucket\":\"b\",\"key\":\"k\",">>,
        <<"\"op\":\"put\",\"vclock\":\"">>, VClock, <<"\",\"siblings\":[">>,
        <<"{\"value\":\"YWxpdmU=\",\"contentType\":\"text/plain\",\"vtag\":\"v1\"},">>,
        <<"{\"value\":\"\",\"contentType\":\"text/plain\",\"vtag\":\"t1\",">>,
        <<"\"lastModified\":\"2025-11-24T16:00:00.000000Z\",\"deleted\":true}]}">>
    ]),
    ?assertEqual(Expected, commitlog_hook:commit_json(Obj)).

%% Marked as Riak stores a tombstone (format v1, the default): true or "true"; any other marker
%% is dropped on write and the sibling is alive.
tombstone_sibling_of_a_put_is_decided_as_riak_stores_it_test_() ->
    Deleted = fun(Marker) ->
        Contents = [
            {md([{<<"X-Riak-Deleted">>, Marker}]), <<>>},
            {md([]), <<"alive">>}
        ],
        C = commit(obj(<<"b">>, <<"k">>, Contents)),
        <<"put">> = maps:get(<<"op">>, C),
        {maps:find(<<"deleted">>, sibling(C, 1)), maps:find(<<"deleted">>, sibling(C, 2))}
    end,
    [?_assertEqual({{ok, true}, error}, Deleted(Marker)) || Marker <- [true, "true"]] ++
        [?_assertEqual({error, error}, Deleted(Marker)) || Marker <- [<<"true">>, "false", false, ""]].

%% A delete's body is as it was before the field: its op already says every content is gone.
delete_siblings_are_not_marked_deleted_test() ->
    Tomb = fun(Marker, Tag) ->
        {md([{<<"X-Riak-Deleted">>, Marker}, {<<"X-Riak-VTag">>, Tag}]), <<>>}
    end,
    C = commit(obj(<<"b">>, <<"k">>, [Tomb("true", "t1"), Tomb(true, "t2")])),
    ?assertEqual(<<"delete">>, maps:get(<<"op">>, C)),
    ?assertEqual(
        [[<<"value">>, <<"vtag">>], [<<"value">>, <<"vtag">>]],
        [lists:sort(maps:keys(S)) || S <- maps:get(<<"siblings">>, C)]
    ).

default_bucket_type_test() ->
    C = commit(obj(<<"b">>, <<"k">>, [{md([]), <<"v">>}])),
    ?assertEqual(<<"default">>, maps:get(<<"bucketType">>, C)),
    ?assertEqual(<<"b">>, maps:get(<<"bucket">>, C)).

typed_bucket_test() ->
    C = commit(obj({<<"maps">>, <<"b">>}, <<"k">>, [{md([]), <<"v">>}])),
    ?assertEqual(<<"maps">>, maps:get(<<"bucketType">>, C)),
    ?assertEqual(<<"b">>, maps:get(<<"bucket">>, C)),
    ?assertEqual(<<"k">>, maps:get(<<"key">>, C)).

non_utf8_key_bucket_and_type_travel_as_base64_objects_test() ->
    C = commit(obj({<<"t", 200>>, <<0, 255>>}, <<255, 0, 1>>, [{md([]), <<"v">>}])),
    ?assertEqual(#{<<"base64">> => <<"/wAB">>}, maps:get(<<"key">>, C)),
    ?assertEqual(#{<<"base64">> => base64:encode(<<0, 255>>)}, maps:get(<<"bucket">>, C)),
    ?assertEqual(#{<<"base64">> => base64:encode(<<"t", 200>>)}, maps:get(<<"bucketType">>, C)).

utf8_key_travels_as_a_string_test() ->
    Key = <<"caf\xc3\xa9-\xe2\x82\xac">>,
    C = commit(obj(<<"b">>, Key, [{md([]), <<"v">>}])),
    ?assertEqual(Key, maps:get(<<"key">>, C)).

empty_value_test() ->
    C = commit(obj(<<"b">>, <<"k">>, [{md([{<<"content-type">>, "text/plain"}]), <<>>}])),
    ?assertEqual(<<>>, maps:get(<<"value">>, sibling(C, 1))).

binary_value_bytes_are_exact_test() ->
    Value = list_to_binary(lists:seq(0, 255)),
    C = commit(obj(<<"b">>, <<"k">>, [{md([]), Value}])),
    ?assertEqual(Value, base64:decode(maps:get(<<"value">>, sibling(C, 1)))).

non_binary_value_is_sent_as_its_external_term_format_test() ->
    C = commit(obj(<<"b">>, <<"k">>, [{md([]), {some, term, 1}}])),
    S = sibling(C, 1),
    ?assertEqual({some, term, 1}, binary_to_term(base64:decode(maps:get(<<"value">>, S)))),
    ?assertEqual(<<"application/x-erlang-binary">>, maps:get(<<"contentType">>, S)).

charset_joins_the_content_type_test() ->
    MD = md([{<<"content-type">>, "text/plain"}, {<<"charset">>, "utf-8"}]),
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1),
    ?assertEqual(<<"text/plain; charset=utf-8">>, maps:get(<<"contentType">>, S)).

content_encoding_is_carried_after_the_content_type_test() ->
    MD = md([{<<"content-type">>, "application/json"}, {<<"content-encoding">>, "gzip"}]),
    C = commit(obj(<<"b">>, <<"k">>, [{MD, <<31, 139, 8>>}])),
    S = sibling(C, 1),
    ?assertEqual(<<"gzip">>, maps:get(<<"contentEncoding">>, S)),
    ?assertEqual(<<31, 139, 8>>, base64:decode(maps:get(<<"value">>, S))),
    %% In the schema's order: contentType, then contentEncoding, then vtag.
    WithVtag = md([{<<"X-Riak-VTag">>, "v1"} | dict:to_list(MD)]),
    Json = iolist_to_binary(commitlog_hook:commit_json(obj(<<"b">>, <<"k">>, [{WithVtag, <<"x">>}]))),
    ?assertMatch(
        {match, _},
        re:run(Json, <<"\"contentType\":\"application/json\",\"contentEncoding\":\"gzip\",\"vtag\":\"v1\"">>)
    ).

absent_metadata_is_omitted_test() ->
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{md([]), <<"v">>}])), 1),
    ?assertEqual([<<"value">>], maps:keys(S)).

usermeta_from_http_and_protocol_buffers_test() ->
    MD = md([
        {<<"X-Riak-Meta">>, [
            {"X-Riak-Meta-Origin", "api"},
            {<<"X-Riak-Meta-Batch">>, <<"b-7">>},
            {"X-Riak-Meta-Origin", "shadowed"},
            {"X-Riak-Meta-Bytes", [200, 201]}
        ]}
    ]),
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1),
    ?assertEqual(
        #{
            <<"X-Riak-Meta-Origin">> => <<"api">>,
            <<"X-Riak-Meta-Batch">> => <<"b-7">>,
            %% Not UTF-8: its bytes in the {"base64"} form, never text that looks like base64.
            <<"X-Riak-Meta-Bytes">> => #{<<"base64">> => base64:encode(<<200, 201>>)}
        },
        maps:get(<<"usermeta">>, S)
    ).

%% A protocol-buffers pair without a value arrives as `undefined`: sent as an empty value.
usermeta_pair_without_a_value_is_empty_test() ->
    MD = md([{<<"X-Riak-Meta">>, [{<<"note">>, undefined}, {<<"real">>, <<"undefined">>}]}]),
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1),
    ?assertEqual(#{<<"note">> => <<>>, <<"real">> => <<"undefined">>}, maps:get(<<"usermeta">>, S)).

%% A usermeta value that is a list but neither bytes nor characters (an Erlang client's term)
%% must not crash the JSON: the commit would be neither sent nor written to the failure log.
usermeta_value_that_is_not_text_is_sent_as_its_term_test() ->
    Term = [{a, 1}],
    MD = md([{<<"X-Riak-Meta">>, [{<<"X-Riak-Meta-Shape">>, Term}]}]),
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1),
    ?assertEqual(
        #{<<"X-Riak-Meta-Shape">> => #{<<"base64">> => base64:encode(term_to_binary(Term))}},
        maps:get(<<"usermeta">>, S)
    ).

%% Bytes that are not UTF-8 in a content type, a vtag or an index value travel in the
%% {"base64"} form; a usermeta name, a JSON object key, can only be its base64 text.
metadata_bytes_that_are_not_utf8_travel_as_base64_objects_test() ->
    MD = md([
        {<<"content-type">>, <<"text/plain", 200>>},
        {<<"X-Riak-VTag">>, <<"v", 255>>},
        {<<"X-Riak-Meta">>, [{<<"X-Riak-Meta-", 250>>, <<"ok">>}]},
        {<<"index">>, [{<<"tag_bin">>, <<0, 255>>}, {<<"tag_bin">>, <<"plain">>}]}
    ]),
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1),
    ?assertEqual(#{<<"base64">> => base64:encode(<<"text/plain", 200>>)}, maps:get(<<"contentType">>, S)),
    ?assertEqual(#{<<"base64">> => base64:encode(<<"v", 255>>)}, maps:get(<<"vtag">>, S)),
    ?assertEqual(
        #{base64:encode(<<"X-Riak-Meta-", 250>>) => <<"ok">>}, maps:get(<<"usermeta">>, S)
    ),
    ?assertEqual(
        #{<<"tag_bin">> => [#{<<"base64">> => base64:encode(<<0, 255>>)}, <<"plain">>]},
        maps:get(<<"indexes">>, S)
    ).

indexes_binary_and_integer_test() ->
    MD = md([
        {<<"index">>, [
            {<<"customer_bin">>, <<"c-9">>},
            {<<"amount_int">>, 100},
            {<<"customer_bin">>, <<"c-10">>},
            {<<"amount_int">>, -3},
            {<<"big_int">>, 9007199254740993}
        ]}
    ]),
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1),
    ?assertEqual(
        #{
            <<"customer_bin">> => [<<"c-9">>, <<"c-10">>],
            <<"amount_int">> => [100, -3],
            %% Past 2^53 a JSON number would lose digits: sent as a string.
            <<"big_int">> => [<<"9007199254740993">>]
        },
        maps:get(<<"indexes">>, S)
    ).

last_modified_has_six_zero_padded_fraction_digits_test() ->
    Fmt = fun(TS) ->
        MD = md([{<<"X-Riak-Last-Modified">>, TS}]),
        maps:get(<<"lastModified">>, sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1))
    end,
    ?assertEqual(<<"2025-11-24T16:00:00.000005Z">>, Fmt({1764, 0, 5})),
    ?assertEqual(<<"2025-11-24T16:00:00.123456Z">>, Fmt({1764, 0, 123456})),
    ?assertEqual(<<"1970-01-01T00:00:00.000000Z">>, Fmt({0, 0, 0})),
    ?assertEqual(<<"2001-09-09T01:46:40.999999Z">>, Fmt({1000, 0, 999999})),
    %% Riak before 0.14 kept an RFC 1123 string.
    ?assertEqual(<<"1994-11-06T08:49:37.000000Z">>, Fmt("Sun, 06 Nov 1994 08:49:37 GMT")).

%% A node clock far off can stamp a time past year 9999, which the ingest's four-digit years
%% cannot take: the field is left out, and the commit goes on (it was refused with a 400).
last_modified_past_year_9999_is_left_out_test() ->
    MD = md([{<<"X-Riak-Last-Modified">>, {300000, 0, 0}}]),
    S = sibling(commit(obj(<<"b">>, <<"k">>, [{MD, <<"v">>}])), 1),
    ?assertNot(maps:is_key(<<"lastModified">>, S)),
    ?assertEqual(<<"dg==">>, maps:get(<<"value">>, S)).

display_forms_for_logs_test() ->
    Typed = obj({<<"maps">>, <<"b">>}, <<"k">>, []),
    ?assertEqual({<<"maps/b">>, <<"k">>}, commitlog_commit:describe(Typed)),
    ?assertEqual(<<"base64:/wAB">>, commitlog_commit:display(<<255, 0, 1>>)).

an_object_without_contents_is_a_delete_test() ->
    %% riak_kv_util:is_x_deleted/1 says so too: no content is left alive.
    C = commit(obj(<<"b">>, <<"k">>, [])),
    ?assertEqual(<<"delete">>, maps:get(<<"op">>, C)),
    ?assertEqual([], maps:get(<<"siblings">>, C)).
