@echo off
rem Test prerequisite package for the end-to-end harness (docs/target-machine.md, docs/setup.md).
rem It is bundled only by a product config that lists the "IdmTestModule" prerequisite (the e2e
rem test variant, wix/prereq-packages/test-prerequisite.toml); the release config never does.
rem
rem Installs the "module" by writing the registry value its detection reads:
rem   HKLM\SOFTWARE\VMware, Inc.\IdmTestPrerequisite  Version = "1.0.0"  (64-bit view)
rem Arguments (like a real redistributable's, the first one wins):
rem   /quiet    install, exit 0
rem   /reboot   install, exit 3010 (success, restart required)
rem   /fail     change nothing, exit 1603
rem   /noop     change nothing, exit 0 (an installer that lies about success)
rem The environment variable IDM_TEST_PREREQ_EXIT=3010 (set by the e2e harness around the setup
rem program) makes /quiet behave as /reboot, so one build covers both outcomes; with
rem IDM_TEST_PREREQ_DELAY=<n> it first waits about n-1 seconds (the progress screenshot).
setlocal
if defined IDM_TEST_PREREQ_DELAY ping -n %IDM_TEST_PREREQ_DELAY% 127.0.0.1 >nul
set "KEY=HKLM\SOFTWARE\VMware, Inc.\IdmTestPrerequisite"
if /i "%~1"=="/fail" exit /b 1603
if /i "%~1"=="/noop" exit /b 0
reg add "%KEY%" /v Version /t REG_SZ /d 1.0.0 /f /reg:64 >nul
if errorlevel 1 exit /b 1
if /i "%~1"=="/reboot" exit /b 3010
if "%IDM_TEST_PREREQ_EXIT%"=="3010" exit /b 3010
exit /b 0
