-module(commitlog_signature_tests).

-include_lib("eunit/include/eunit.hrl").

%% Vector computed independently with:
%%   printf '%s' '1764000000.{"key":"txn-1"}' | openssl dgst -sha256 -hmac 's3cr3t'
known_vector_test() ->
    ?assertEqual(
        <<"t=1764000000,v1=31c176359f9c22f2fc953df0eb83f8e02aa50e5540051547284639184aca107a">>,
        commitlog_signature:header(<<"s3cr3t">>, 1764000000, <<"{\"key\":\"txn-1\"}">>)
    ).

iodata_body_signs_like_its_flat_bytes_test() ->
    Flat = commitlog_signature:header(<<"k">>, 42, <<"abc">>),
    ?assertEqual(Flat, commitlog_signature:header(<<"k">>, 42, [<<"a">>, [$b], <<"c">>])).

different_secret_different_signature_test() ->
    ?assertNotEqual(
        commitlog_signature:header(<<"one">>, 1, <<"x">>),
        commitlog_signature:header(<<"two">>, 1, <<"x">>)
    ).

bad_arguments_raise_badarg_test() ->
    ?assertError(badarg, commitlog_signature:header("not a binary", 1, <<>>)),
    ?assertError(badarg, commitlog_signature:header(<<"k">>, -1, <<>>)).
