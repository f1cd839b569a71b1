// jest-dom's matchers (toBeInTheDocument ...) for the type check, as create-plugin's .config/types.
import '@testing-library/jest-dom';
