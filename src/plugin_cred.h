/*
 * plugin_cred.h — the credential plugin's side of kubectl's exec
 * credential protocol (client.authentication.k8s.io, "client-go credential
 * plugins" in the Kubernetes documentation).
 *
 * kubectl runs the plugin with KUBERNETES_EXEC_INFO, an ExecCredential
 * naming the apiVersion the kubeconfig asked for (v1beta1 since kubectl
 * 1.11, v1 since 1.22), and reads one ExecCredential of that apiVersion
 * from its stdout: status.token, and status.expirationTimestamp (RFC 3339)
 * until which kubectl may keep it. Pure: no I/O.
 */
#ifndef KA_PLUGIN_CRED_H
#define KA_PLUGIN_CRED_H

#include <stddef.h>
#include <stdint.h>

#define PLUGIN_CRED_V1 "client.authentication.k8s.io/v1"
#define PLUGIN_CRED_V1BETA1 "client.authentication.k8s.io/v1beta1"

/* The apiVersion KUBERNETES_EXEC_INFO (INFO, NULL when unset) asks for:
 * *api_version is PLUGIN_CRED_V1 or PLUGIN_CRED_V1BETA1 (static; v1beta1
 * when INFO is unset or empty, as when run by hand). Returns 0, or -1
 * with the reason in ERR: not JSON, not an ExecCredential, or a version
 * this plugin does not speak. */
int plugin_cred_exec_info(const char *info, const char **api_version,
    char *err, size_t errlen);

/* The ExecCredential of API_VERSION carrying TOKEN until EXPIRY_US
 * (microseconds since 1970; written to the second, rounded down, so that
 * kubectl never keeps it longer than the service accepts it), as a
 * malloc'd JSON text with a newline (the caller wipes and frees it). */
char *plugin_cred_json(const char *api_version, const char *token,
    int64_t expiry_us);

#endif
