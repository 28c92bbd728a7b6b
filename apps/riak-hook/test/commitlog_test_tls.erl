%%% commitlog_test_tls (TEST ONLY): certificates made at test time with public_key:pkix_test_data/1
%%% (no openssl, no key committed): a CA, a server certificate it signed for the names given
%%% (and a client chain, which pkix_test_data makes too and the hook does not use).
%%%
%%% Inputs:  certs(Names): subjectAltName entries of the server certificate, e.g.
%%%          [{dNSName, "localhost"}, {iPAddress, <<127, 0, 0, 1>>}].
%%%          write_ca(Certs, Path): writes the CA as PEM to Path.
%%% Outputs: certs/1 -> #{server => ssl server options (cert, key, cacerts), ca => [Der]}.
%%% Errors:  raised on a failure (a test helper).
-module(commitlog_test_tls).

-include_lib("public_key/include/public_key.hrl").

-export([certs/1, write_ca/2]).

certs(Names) ->
    SubjectAltName = #'Extension'{
        extnID = ?'id-ce-subjectAltName', extnValue = Names, critical = false
    },
    %% Elliptic-curve keys: generated in milliseconds, where RSA keys take a while.
    Key = {key, {namedCurve, secp256r1}},
    #{server_config := Server, client_config := Client} = public_key:pkix_test_data(#{
        server_chain => #{root => [Key], intermediates => [], peer => [Key, {extensions, [SubjectAltName]}]},
        client_chain => #{root => [Key], intermediates => [], peer => [Key]}
    }),
    %% The client's cacerts: what verifies the server's certificate (the server chain's root).
    #{server => Server, ca => proplists:get_value(cacerts, Client)}.

write_ca(#{ca := Ca}, Path) ->
    ok = filelib:ensure_dir(Path),
    ok = file:write_file(Path, public_key:pem_encode([{'Certificate', Der, not_encrypted} || Der <- Ca])).
