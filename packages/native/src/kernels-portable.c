/* The portable kernel table: plain C, any CPU. */
#define SUFFIX(name) name##_portable
#define SUFFIX_NAME "portable"
#include "elementwise-body.h"
