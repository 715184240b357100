/* placeholder: being written */
#include "support.h"
