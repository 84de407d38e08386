package pulumi

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// The passphrase secrets provider, read in-process: for a stack whose
// config and state are encrypted with a passphrase (Pulumi's default
// outside Pulumi Cloud), lockstep decrypts the config's secure values and
// the state's secrets itself, from the stack's config file and the one
// encrypted `pulumi stack export` it runs anyway, instead of starting
// `pulumi config --show-secrets` and `pulumi stack export --show-secrets`:
// each of those is a start of the pulumi binary and a key derivation of its
// own (test/bench/README.md). This is Pulumi's "v1" scheme
// (pkg/v3/secrets/passphrase and sdk/v3/go/common/resource/config): a key
// of PBKDF2-SHA256, a million rounds over the passphrase and the salt of
// the provider's state "v1:<salt>:<check>", where <check> must decrypt to
// "pulumi"; each value "v1:<nonce>:<ciphertext>" AES-256-GCM, base64.
//
// Anything else (another secrets provider, an ESC environment in the stack
// file, a stackConfigDir, no passphrase, a value that does not decrypt, an
// unknown version) is not an error: the caller asks the CLI, as before.

// passphraseRounds and passphraseKeyBytes are Pulumi's key derivation.
const (
	passphraseRounds   = 1_000_000
	passphraseKeyBytes = 32
)

// errNotLocal says the secrets cannot be read in-process; the CLI can.
var errNotLocal = errors.New("not readable in-process")

// localSecrets returns what `pulumi config --json --show-secrets` and
// `pulumi stack export --show-secrets` would have given collectSecrets
// (the config's secret values; the export with every secret's plaintext),
// decrypted in-process from export (encrypted) and the stack's config
// file (configFile, or the stack's own when empty), or errNotLocal.
func (a *Adapter) localSecrets(export []byte, configFile string) (config, plainExport []byte, err error) {
	phrase, err := a.passphrase()
	if err != nil {
		return nil, nil, err
	}
	keys := map[string]cipher.AEAD{}
	keyFor := func(state string) (cipher.AEAD, error) {
		if k, ok := keys[state]; ok {
			return k, nil
		}
		k, err := passphraseKey(phrase, state)
		if err != nil {
			return nil, err
		}
		keys[state] = k
		return k, nil
	}

	// The config.
	path, err := a.stackConfigPath(configFile)
	if err != nil {
		return nil, nil, err
	}
	cfgOut := map[string]configValue{}
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// No stack file: no config, so no secret in it.
	case err != nil:
		return nil, nil, errNotLocal
	default:
		var stackFile struct {
			SecretsProvider string         `yaml:"secretsprovider"`
			EncryptionSalt  string         `yaml:"encryptionsalt"`
			EncryptedKey    string         `yaml:"encryptedkey"`
			Environment     any            `yaml:"environment"`
			Config          map[string]any `yaml:"config"`
		}
		if yaml.Unmarshal(raw, &stackFile) != nil || stackFile.Environment != nil || stackFile.EncryptedKey != "" ||
			stackFile.SecretsProvider != "" && stackFile.SecretsProvider != "passphrase" {
			return nil, nil, errNotLocal
		}
		for key, v := range stackFile.Config {
			if !holdsSecure(v) {
				continue
			}
			if stackFile.EncryptionSalt == "" {
				return nil, nil, errNotLocal
			}
			k, err := keyFor(stackFile.EncryptionSalt)
			if err != nil {
				return nil, nil, err
			}
			plain, err := decryptSecure(k, v)
			if err != nil {
				return nil, nil, err
			}
			cv := configValue{Secret: true}
			if s, ok := plain.(string); ok {
				cv.Value = &s
			} else if cv.ObjectValue, err = json.Marshal(plain); err != nil {
				return nil, nil, errNotLocal
			}
			cfgOut[key] = cv
		}
	}
	if config, err = json.Marshal(cfgOut); err != nil {
		return nil, nil, errNotLocal
	}

	// The state.
	if !holdsSecrets(export) {
		return config, []byte("{}"), nil
	}
	var d struct {
		Deployment struct {
			SecretsProviders struct {
				Type  string `json:"type"`
				State struct {
					Salt string `json:"salt"`
				} `json:"state"`
			} `json:"secrets_providers"`
		} `json:"deployment"`
	}
	if json.Unmarshal(export, &d) != nil || d.Deployment.SecretsProviders.Type != "passphrase" {
		return nil, nil, errNotLocal
	}
	k, err := keyFor(d.Deployment.SecretsProviders.State.Salt)
	if err != nil {
		return nil, nil, err
	}
	var state any
	if json.Unmarshal(export, &state) != nil {
		return nil, nil, errNotLocal
	}
	if err := decryptState(k, state); err != nil {
		return nil, nil, err
	}
	if plainExport, err = json.Marshal(state); err != nil {
		return nil, nil, errNotLocal
	}
	return config, plainExport, nil
}

// passphrase is the passphrase pulumi would read: PULUMI_CONFIG_PASSPHRASE
// if set (even empty), else the trimmed content of the file
// PULUMI_CONFIG_PASSPHRASE_FILE names (relative to the project).
func (a *Adapter) passphrase() (string, error) {
	env := a.environ()
	lookup := func(name string) (string, bool) {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], name+"="); ok {
				return v, true
			}
		}
		return "", false
	}
	if v, ok := lookup("PULUMI_CONFIG_PASSPHRASE"); ok {
		return v, nil
	}
	if file, _ := lookup("PULUMI_CONFIG_PASSPHRASE_FILE"); file != "" {
		b, err := os.ReadFile(a.abs(file))
		if err != nil {
			return "", errNotLocal
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", errNotLocal
}

// stackConfigPath is the stack's config file: configFile (var-files) if
// given, else Pulumi.<stack>.yaml beside the project, the stack's short
// name (org/project/ left out). A project that keeps its stack files
// elsewhere (stackConfigDir) or whose Pulumi.yaml cannot be read is left
// to the CLI.
func (a *Adapter) stackConfigPath(configFile string) (string, error) {
	if configFile != "" {
		return a.abs(configFile), nil
	}
	raw, err := os.ReadFile(filepath.Join(a.dir, "Pulumi.yaml"))
	if err != nil {
		return "", errNotLocal
	}
	var project struct {
		StackConfigDir string `yaml:"stackConfigDir"`
	}
	if yaml.Unmarshal(raw, &project) != nil || project.StackConfigDir != "" {
		return "", errNotLocal
	}
	short := a.stack[strings.LastIndexByte(a.stack, '/')+1:]
	return filepath.Join(a.dir, "Pulumi."+short+".yaml"), nil
}

// passphraseKey derives the AEAD of a passphrase provider's state
// "v1:<salt>:<check>", checking that <check> decrypts to "pulumi" (the
// passphrase is the stack's).
func passphraseKey(phrase, state string) (cipher.AEAD, error) {
	version, rest, ok := strings.Cut(state, ":")
	salt64, check, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || version != "v1" {
		return nil, errNotLocal
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		return nil, errNotLocal
	}
	key, err := pbkdf2.Key(sha256.New, phrase, salt, passphraseRounds, passphraseKeyBytes)
	if err != nil {
		return nil, errNotLocal
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errNotLocal
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, errNotLocal
	}
	if got, err := decryptValue(aead, check); err != nil || got != "pulumi" {
		return nil, errNotLocal
	}
	return aead, nil
}

// decryptValue opens one "v1:<nonce>:<ciphertext>".
func decryptValue(aead cipher.AEAD, value string) (string, error) {
	parts := strings.Split(value, ":")
	if len(parts) != 3 || parts[0] != "v1" {
		return "", errNotLocal
	}
	nonce, err := base64.StdEncoding.DecodeString(parts[1])
	if err != nil || len(nonce) != aead.NonceSize() {
		return "", errNotLocal
	}
	ciphertext, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return "", errNotLocal
	}
	plain, err := aead.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return "", errNotLocal
	}
	return string(plain), nil
}

// holdsSecure is whether a config value from a stack file is, or holds,
// a secure value ({secure: "v1:..."}).
func holdsSecure(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["secure"]; ok && len(x) == 1 {
			return true
		}
		for _, e := range x {
			if holdsSecure(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsSecure(e) {
				return true
			}
		}
	}
	return false
}

// decryptSecure is a stack file's config value with every secure value in
// it replaced by its plaintext, as `pulumi config --show-secrets` shows it.
func decryptSecure(aead cipher.AEAD, v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["secure"]; ok && len(x) == 1 {
			ciphertext, isString := s.(string)
			if !isString {
				return nil, errNotLocal
			}
			return decryptValue(aead, ciphertext)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			d, err := decryptSecure(aead, e)
			if err != nil {
				return nil, err
			}
			out[k] = d
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			d, err := decryptSecure(aead, e)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	}
	return v, nil
}

// decryptState replaces, in a decoded export, every secret's ciphertext
// with its plaintext, as `pulumi stack export --show-secrets` shows it.
func decryptState(aead cipher.AEAD, v any) error {
	switch x := v.(type) {
	case map[string]any:
		if x[secretSigKey] == secretSigValue {
			ciphertext, ok := x["ciphertext"].(string)
			if !ok {
				return errNotLocal
			}
			plain, err := decryptValue(aead, ciphertext)
			if err != nil {
				return err
			}
			delete(x, "ciphertext")
			x["plaintext"] = plain
			return nil
		}
		for _, e := range x {
			if err := decryptState(aead, e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := decryptState(aead, e); err != nil {
				return err
			}
		}
	}
	return nil
}
