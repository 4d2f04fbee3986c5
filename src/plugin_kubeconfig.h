/*
 * plugin_kubeconfig.h — `kubectl auth-login setup` writing a user's
 * kubeconfig: the cluster, the user running this plugin, the context
 * (made current), merged into one kubeconfig file.
 *
 * kubectl reads and writes the file's format: `kubectl config view --raw
 * -o json` gives the file as JSON, the entries of the same names are
 * replaced (others kept), and `kubectl config view --raw` of the result
 * gives the YAML written back, atomically. (`kubectl config
 * set-credentials` cannot be used: Debian's kubectl 1.20, built with a
 * newer Go, crashes when it creates a user entry.)
 */
#ifndef KA_PLUGIN_KUBECONFIG_H
#define KA_PLUGIN_KUBECONFIG_H

#include <stddef.h>

struct plugin_api_kubeconfig;

/* The file to write, as kubectl chooses it: GIVEN (--kubeconfig) when not
 * NULL; else, of $KUBECONFIG's list, the first file that exists (the last
 * when none does); else ~/.kube/config. Malloc'd, or NULL when there is
 * no $HOME. */
char *plugin_kubeconfig_path(const char *given);

/* Merge KC into the kubeconfig file PATH (created, and its directory,
 * when missing), its exec args followed by EXTRA (NEXTRA strings: the
 * options setup was given that get-token needs too), and make KC's
 * context current. Returns 0, or -1 with ERR (PATH unchanged). */
int plugin_kubeconfig_merge(const char *path,
    const struct plugin_api_kubeconfig *kc, const char *const *extra,
    size_t nextra, char *err, size_t errlen);

/* The JSON text of kubeconfig OLD (LEN bytes; LEN 0: an empty one) with
 * KC's entries in place of any of the same names, and its context
 * current. Malloc'd, *OUT_LEN bytes; NULL with ERR when OLD is no
 * kubeconfig. Pure. */
char *plugin_kubeconfig_merge_text(const char *old, size_t len,
    const struct plugin_api_kubeconfig *kc, const char *const *extra,
    size_t nextra, size_t *out_len, char *err, size_t errlen);

#endif
