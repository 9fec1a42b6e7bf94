/* Loads a provisioning URL through liblinphone's own remote provisioning,
 * then prints the accounts and credentials the core ended up with, one per
 * line starting with "RESULT " (liblinphone logs to stdout too), for
 * tests/it/provisioning/liblinphone.rs to check.
 *
 * usage: provision URL WORK_DIR
 * exit status: 0 when provisioning succeeded, 1 otherwise, 2 on bad usage. */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linphone/core.h>

static int configured = -1;

static void on_configuring(LinphoneCore *core, LinphoneConfiguringState state, const char *message) {
	(void)core;
	configured = (int)state;
	printf("RESULT configuring state=%d message=%s\n", (int)state, message ? message : "");
}

static const char *or_empty(const char *s) { return s ? s : ""; }

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s URL WORK_DIR\n", argv[0]);
		return 2;
	}
	char rc_path[4096], db_path[4096];
	snprintf(rc_path, sizeof rc_path, "%s/linphonerc", argv[2]);
	snprintf(db_path, sizeof db_path, "%s/linphone.db", argv[2]);

	LinphoneFactory *factory = linphone_factory_get();
	LinphoneConfig *config = linphone_factory_create_config(factory, rc_path);
	/* A headless core refuses to start without a writable database. */
	linphone_config_set_string(config, "storage", "uri", db_path);
	linphone_config_set_string(config, "misc", "config-uri", argv[1]);

	LinphoneCoreCbs *cbs = linphone_factory_create_core_cbs(factory);
	linphone_core_cbs_set_configuring_status(cbs, on_configuring);
	LinphoneCore *core = linphone_factory_create_core_with_config_3(factory, config, NULL);
	linphone_core_add_callbacks(core, cbs);
	linphone_core_start(core);

	for (int i = 0; i < 750; i++) { /* 15 s at most */
		linphone_core_iterate(core);
		if (configured >= 0 && linphone_core_get_global_state(core) == LinphoneGlobalOn) break;
		usleep(20000);
	}

	for (const bctbx_list_t *it = linphone_core_get_account_list(core); it; it = bctbx_list_next(it)) {
		const LinphoneAccountParams *params = linphone_account_get_params((LinphoneAccount *)bctbx_list_get_data(it));
		char *identity = linphone_address_as_string_uri_only(linphone_account_params_get_identity_address(params));
		printf("RESULT account identity=%s server=%s register=%d\n", or_empty(identity),
		       or_empty(linphone_account_params_get_server_addr(params)),
		       (int)linphone_account_params_get_register_enabled(params));
		bctbx_free(identity);
	}
	for (const bctbx_list_t *it = linphone_core_get_auth_info_list(core); it; it = bctbx_list_next(it)) {
		const LinphoneAuthInfo *info = (const LinphoneAuthInfo *)bctbx_list_get_data(it);
		printf("RESULT auth username=%s domain=%s realm=%s algorithm=%s ha1=%s passwd=%s\n",
		       or_empty(linphone_auth_info_get_username(info)), or_empty(linphone_auth_info_get_domain(info)),
		       or_empty(linphone_auth_info_get_realm(info)), or_empty(linphone_auth_info_get_algorithm(info)),
		       or_empty(linphone_auth_info_get_ha1(info)), or_empty(linphone_auth_info_get_password(info)));
	}
	fflush(stdout);

	int status = configured == LinphoneConfiguringSuccessful ? 0 : 1;
	linphone_core_stop(core);
	linphone_core_unref(core);
	linphone_core_cbs_unref(cbs);
	linphone_config_unref(config);
	return status;
}
