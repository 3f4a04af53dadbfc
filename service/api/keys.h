#ifndef RK_KEYS_H
#define RK_KEYS_H

#include "lib/config.h"

/* routekaartd keys create|revoke|list ...; argv starts after "keys". Returns the exit status. */
int keys_main(int argc, char **argv, const struct config *cfg);

#endif
