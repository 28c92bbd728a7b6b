%%% commitlog_signature: the request signature the ingest checks (DESIGN.md, "Ingest HTTP API").
%%%
%%% Inputs:  a secret (binary), a Unix time in seconds (integer), the exact request body (iodata).
%%% Output:  the value of the X-Commitlog-Signature header,
%%%          <<"t=<seconds>,v1=<lowercase hex HMAC-SHA256(secret, \"<seconds>.<body>\")>">>.
%%% Errors:  none for valid inputs; a non-binary secret or a negative time raises badarg, which
%%%          callers never pass (the hook validates its configuration at load time).
-module(commitlog_signature).

-export([header/3, hmac_hex/2]).

-spec header(binary(), non_neg_integer(), iodata()) -> binary().
header(Secret, UnixSeconds, Body) when is_binary(Secret), is_integer(UnixSeconds), UnixSeconds >= 0 ->
    T = integer_to_binary(UnixSeconds),
    Mac = hmac_hex(Secret, [T, $., Body]),
    <<"t=", T/binary, ",v1=", Mac/binary>>;
header(_Secret, _UnixSeconds, _Body) ->
    erlang:error(badarg).

%% Lowercase hex of HMAC-SHA256. crypto:mac/4 is in every OTP since 22.1; hex is done by hand
%% because binary:encode_hex/2 only arrived in OTP 26 and Riak releases ship older ones.
-spec hmac_hex(binary(), iodata()) -> binary().
hmac_hex(Secret, Data) ->
    << <<(hex_digit(Nibble))>> || <<Nibble:4>> <= crypto:mac(hmac, sha256, Secret, Data) >>.

hex_digit(N) when N < 10 -> $0 + N;
hex_digit(N) -> $a + N - 10.
