/* name_set.c: a hash set of strings, for readers that make channel names
 * unique or spot repeated file names as they build a header.  A scan of the
 * names so far for every new channel made 100,000-channel headers take
 * minutes (quadratic); a lookup here costs the same whatever the count. */
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"

/* FNV-1a: short names, no adversary who gains from collisions but time. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void emgi_name_set_init(emg_name_set *set)
{
    memset(set, 0, sizeof *set);
}

void emgi_name_set_free(emg_name_set *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slots[i].name);
    free(set->slots);
    emgi_name_set_init(set);
}

/* Slot of name, or of the empty slot where it would go (cap is a power of two). */
static size_t find_slot(const emg_name_slot *slots, size_t cap, const char *name)
{
    size_t i = (size_t)name_hash(name) & (cap - 1);
    while (slots[i].name && strcmp(slots[i].name, name))
        i = (i + 1) & (cap - 1);
    return i;
}

int emgi_name_set_contains(emg_name_set *set, const char *name)
{
    return emgi_name_set_suffix(set, name) != NULL;
}

int *emgi_name_set_suffix(emg_name_set *set, const char *name)
{
    if (!set->cap)
        return NULL;
    emg_name_slot *slot = &set->slots[find_slot(set->slots, set->cap, name)];
    return slot->name ? &slot->next_suffix : NULL;
}

/* Keep the table at most half full so that probes stay short. */
static int rehash(emg_name_set *set, emg_error *err)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    emg_name_slot *slots = emgi_xcalloc(cap, sizeof *slots, err);
    if (!slots)
        return EMG_ERR_NOMEM;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i].name)
            slots[find_slot(slots, cap, set->slots[i].name)] = set->slots[i];
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return EMG_OK;
}

int emgi_name_set_add(emg_name_set *set, const char *name, emg_error *err)
{
    if (2 * (set->n + 1) > set->cap) {
        int rc = rehash(set, err);
        if (rc < 0)
            return rc;
    }
    emg_name_slot *slot = &set->slots[find_slot(set->slots, set->cap, name)];
    if (slot->name)
        return EMG_OK;
    if (!(slot->name = emgi_xstrdup(name, err)))
        return EMG_ERR_NOMEM;
    slot->next_suffix = 2;
    set->n++;
    return EMG_OK;
}
