/* slurm_script_quote.c: the only ways a value enters a job script, and the checks for the places
 * where quoting is impossible.
 *
 * A quoted word is built from runs of plain bytes inside '...' and, for the bytes a single-quoted
 * string would carry literally but that must not appear in the script's text (control
 * characters: a newline would split a command over lines, \r\n makes sbatch refuse the script),
 * ANSI-C $'\ooo' pieces glued to them. Adjacent pieces form one word, so `'a'$'\012''b'` is the
 * three bytes a, newline, b. Directive values and environment names get no quoting at all and
 * are checked instead (#SBATCH lines are parsed by sbatch, not by a shell). */
#include <stdio.h>
#include <string.h>

#include "slurm/slurm_script.h"
#include "slurm/slurm_script_internal.h"

static bool quote_is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Appends s[0..n) as quoted pieces; writes nothing for n == 0. */
static void quote_run(abuf *b, const char *s, size_t n)
{
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (quote_is_control(c) || c == '\'') {
            if (open)
                abuf_putc(b, '\'');
            open = false;
            if (c == '\'')
                abuf_puts(b, "\\'");
            else
                abuf_printf(b, "$'\\%03o'", c);
            continue;
        }
        if (!open)
            abuf_putc(b, '\'');
        open = true;
        abuf_putc(b, (char)c);
    }
    if (open)
        abuf_putc(b, '\'');
}

void slurm_shell_quote(abuf *b, const char *value)
{
    if (!value || !*value) {
        abuf_puts(b, "''");
        return;
    }
    quote_run(b, value, strlen(value));
}

void slurm_shell_quote_subst(abuf *b, const char *value, const char *token, const char *var)
{
    if (!value || !*value || !token || !*token) {
        slurm_shell_quote(b, value);
        return;
    }
    size_t tlen = strlen(token);
    const char *s = value;
    for (const char *hit; (hit = strstr(s, token)); s = hit + tlen) {
        quote_run(b, s, (size_t)(hit - s));
        abuf_printf(b, "\"$%s\"", var);
    }
    if (*s || s == value)
        quote_run(b, s, strlen(s));
}

static bool directive_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("._-+,:@/", c));
}

bool slurm_directive_value_ok(const char *v)
{
    if (!v || !*v || *v == '-' || strlen(v) > 1024)
        return false;
    for (; *v; v++)
        if (!directive_char_ok(*v))
            return false;
    return true;
}

bool slurm_env_name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 255 || (*name >= '0' && *name <= '9'))
        return false;
    for (; *name; name++) {
        char c = *name;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

void slurm_format_time(int minutes, char out[SLURM_TIME_MAX])
{
    if (minutes < 60) {
        snprintf(out, SLURM_TIME_MAX, "%d", minutes);
        return;
    }
    int days = minutes / 1440, hours = minutes / 60 % 24, mins = minutes % 60;
    snprintf(out, SLURM_TIME_MAX, "%d-%02d:%02d:00", days, hours, mins);
}

void slurm_show_value(const char *v, char *out, size_t outlen)
{
    abuf b = {0};
    size_t shown = 0;
    for (const unsigned char *s = (const unsigned char *)(v ? v : ""); *s; s++, shown++) {
        if (shown == 80) {
            abuf_puts(&b, "...");
            break;
        }
        if (*s == '\n')
            abuf_puts(&b, "\\n");
        else if (*s == '\r')
            abuf_puts(&b, "\\r");
        else if (*s == '\t')
            abuf_puts(&b, "\\t");
        else if (quote_is_control(*s))
            abuf_printf(&b, "\\x%02x", *s);
        else
            abuf_putc(&b, (char)*s);
    }
    snprintf(out, outlen, "%s", b.p ? b.p : "");
    abuf_free(&b);
}

aifb_code slurm_check_directive(const char *field, const char *v, aifb_err *err)
{
    if (slurm_directive_value_ok(v))
        return AIFB_OK;
    char shown[SLURM_SHOW_MAX];
    slurm_show_value(v, shown, sizeof shown);
    return aifb_err_set(err, AIFB_EINVAL,
                        "slurm %s '%s' is refused: it may only hold 1 to 1024 letters, digits and "
                        ". _ - + , : @ / and must not start with '-'",
                        field, shown);
}
