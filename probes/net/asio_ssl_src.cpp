// The one translation unit that compiles Asio's OpenSSL glue.
#include <boost/asio/ssl/impl/src.hpp>
