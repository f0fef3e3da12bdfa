/* Public name lookup over the OID table. */
#include "der/oid.h"
#include "scepkit/name.h"

const char *scepkit_oid_name(scepkit_bytes oid)
{
    const skit_oid_info *info = skit_oid_info_of(skit_oid_find(oid));
    return info != NULL ? info->name : NULL;
}
