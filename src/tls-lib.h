/*
 * The OpenSSL functions src/tls.c calls, reached through pointers that
 * tls_lib_load() fills from libssl and libcrypto with dlopen(3) the first
 * time a TLS context is made.  The binary does not link OpenSSL: a run
 * without --tls never loads it, so it starts as fast as one built
 * without TLS (the loader's symbol lookups for libcrypto cost more than
 * everything else sockit does to start).
 *
 * A function tls.c calls that is missing here fails to link; one listed
 * here that this OpenSSL lacks makes tls_lib_load() fail with its name.
 */
#ifndef SOCKIT_TLS_LIB_H
#define SOCKIT_TLS_LIB_H

#include <stddef.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLS_LIB_FUNCTIONS(X) \
	X(ASN1_IA5STRING_free) \
	X(ASN1_IA5STRING_new) \
	X(ASN1_OCTET_STRING_free) \
	X(ASN1_STRING_get0_data) \
	X(ASN1_STRING_length) \
	X(ASN1_STRING_set) \
	X(BIO_clear_flags) \
	X(BIO_ctrl) \
	X(BIO_free) \
	X(BIO_get_data) \
	X(BIO_get_new_index) \
	X(BIO_meth_free) \
	X(BIO_meth_new) \
	X(BIO_meth_set_create) \
	X(BIO_meth_set_ctrl) \
	X(BIO_meth_set_write) \
	X(BIO_new) \
	X(BIO_s_mem) \
	X(BIO_set_data) \
	X(BIO_set_flags) \
	X(BIO_set_init) \
	X(BN_bin2bn) \
	X(BN_free) \
	X(BN_to_ASN1_INTEGER) \
	X(ERR_clear_error) \
	X(ERR_peek_error) \
	X(ERR_reason_error_string) \
	X(EVP_PKEY_Q_keygen) \
	X(EVP_PKEY_free) \
	X(EVP_sha256) \
	X(GENERAL_NAMES_free) \
	X(GENERAL_NAME_free) \
	X(GENERAL_NAME_new) \
	X(GENERAL_NAME_set0_value) \
	X(OPENSSL_sk_new_null) \
	X(OPENSSL_sk_num) \
	X(OPENSSL_sk_push) \
	X(OPENSSL_sk_value) \
	X(RAND_bytes) \
	X(SSL_CTX_check_private_key) \
	X(SSL_CTX_ctrl) \
	X(SSL_CTX_free) \
	X(SSL_CTX_get0_certificate) \
	X(SSL_CTX_load_verify_dir) \
	X(SSL_CTX_load_verify_file) \
	X(SSL_CTX_new) \
	X(SSL_CTX_set_alpn_protos) \
	X(SSL_CTX_set_alpn_select_cb) \
	X(SSL_CTX_set_cert_verify_callback) \
	X(SSL_CTX_set_cipher_list) \
	X(SSL_CTX_set_ciphersuites) \
	X(SSL_CTX_set_client_CA_list) \
	X(SSL_CTX_set_client_cert_cb) \
	X(SSL_CTX_set_client_hello_cb) \
	X(SSL_CTX_set_default_passwd_cb) \
	X(SSL_CTX_set_default_passwd_cb_userdata) \
	X(SSL_CTX_set_default_read_buffer_len) \
	X(SSL_CTX_set_default_verify_paths) \
	X(SSL_CTX_set_num_tickets) \
	X(SSL_CTX_set_options) \
	X(SSL_CTX_set_verify) \
	X(SSL_CTX_use_PrivateKey) \
	X(SSL_CTX_use_PrivateKey_file) \
	X(SSL_CTX_use_certificate) \
	X(SSL_CTX_use_certificate_chain_file) \
	X(SSL_alert_desc_string_long) \
	X(SSL_client_hello_get0_ext) \
	X(SSL_client_hello_get0_legacy_version) \
	X(SSL_ctrl) \
	X(SSL_do_handshake) \
	X(SSL_free) \
	X(SSL_get0_alpn_selected) \
	X(SSL_get0_param) \
	X(SSL_get0_peer_certificate) \
	X(SSL_get_error) \
	X(SSL_get_ex_data) \
	X(SSL_get_ex_data_X509_STORE_CTX_idx) \
	X(SSL_get_servername) \
	X(SSL_get_shutdown) \
	X(SSL_get_verify_result) \
	X(SSL_get_version) \
	X(SSL_has_pending) \
	X(SSL_is_init_finished) \
	X(SSL_load_client_CA_file) \
	X(SSL_new) \
	X(SSL_pending) \
	X(SSL_read_ex) \
	X(SSL_set1_host) \
	X(SSL_set0_wbio) \
	X(SSL_set_accept_state) \
	X(SSL_set_connect_state) \
	X(SSL_set_ex_data) \
	X(SSL_set_fd) \
	X(SSL_set_hostflags) \
	X(SSL_shutdown) \
	X(SSL_write_ex) \
	X(TLS_client_method) \
	X(TLS_server_method) \
	X(X509V3_EXT_conf_nid) \
	X(X509V3_set_ctx) \
	X(X509_EXTENSION_free) \
	X(X509_NAME_add_entry_by_txt) \
	X(X509_NAME_get_text_by_NID) \
	X(X509_NAME_print_ex) \
	X(X509_STORE_CTX_get0_cert) \
	X(X509_STORE_CTX_get_ex_data) \
	X(X509_STORE_CTX_set_error) \
	X(X509_VERIFY_PARAM_set1_ip_asc) \
	X(X509_add1_ext_i2d) \
	X(X509_add_ext) \
	X(X509_digest) \
	X(X509_free) \
	X(X509_get_ext_d2i) \
	X(X509_get_serialNumber) \
	X(X509_get_subject_name) \
	X(X509_getm_notAfter) \
	X(X509_getm_notBefore) \
	X(X509_gmtime_adj) \
	X(X509_new) \
	X(X509_set_issuer_name) \
	X(X509_set_pubkey) \
	X(X509_set_version) \
	X(X509_sign) \
	X(X509_verify_cert) \
	X(X509_verify_cert_error_string) \
	X(a2i_IPADDRESS)

struct tls_lib {
#define TLS_LIB_POINTER(f)	__typeof__(f) *f;
	TLS_LIB_FUNCTIONS(TLS_LIB_POINTER)
#undef TLS_LIB_POINTER
};

extern struct tls_lib	tls_lib;

/*
 * Loads libssl and libcrypto (SOCKIT_LIBSSL, SOCKIT_LIBCRYPTO: their
 * sonames) once per process and fills tls_lib.  Returns 0, or -1 with
 * the reason in err (len bytes).
 */
int	tls_lib_load(char *err, size_t len);

#endif
